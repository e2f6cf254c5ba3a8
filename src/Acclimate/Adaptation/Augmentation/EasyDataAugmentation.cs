namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// EDA (Wei &amp; Zou 2019, "EDA: Easy Data Augmentation Techniques for Boosting Performance on Text
/// Classification Tasks"): synonym replacement, random insertion, random swap and random deletion,
/// each changing about α of a sentence's words. <see cref="Operations"/> builds the four; the shared
/// rules (how many words change, which words count as content words) live here.
/// </summary>
public static class EasyDataAugmentation
{
    /// <summary>The paper's recommended α for small and large datasets alike.</summary>
    public const double DefaultAlpha = 0.1;

    /// <summary>
    /// The four operations with one α. <paramref name="stopWords"/> (lower-cased) are never picked for
    /// SR and RI, as in EDA; the default is the English list of <see cref="DomainSimilarity.StopWords"/>.
    /// </summary>
    public static IReadOnlyList<IAugmentationOperation> Operations(ISynonymSource synonyms, double alpha = DefaultAlpha, IReadOnlySet<string>? stopWords = null)
    {
        stopWords ??= DomainSimilarity.StopWords;
        return new IAugmentationOperation[]
        {
            new SynonymReplacement(synonyms, alpha, stopWords),
            new RandomInsertion(synonyms, alpha, stopWords),
            new RandomSwap(alpha),
            new RandomDeletion(alpha),
        };
    }

    /// <summary>EDA's n = max(1, ⌊α·l⌋) for a sentence of <paramref name="length"/> words.</summary>
    public static int ChangeCount(double alpha, int length) => Math.Max(1, (int)(alpha * length));

    /// <summary>Outside-mention words with a letter that are not stop words: what SR and RI look up.</summary>
    public static IEnumerable<int> ContentWords(AugmentableSentence sentence, IReadOnlySet<string> stopWords) =>
        sentence.OutsideIndices().Where(i => WordCase.HasLetter(sentence.Words[i]) && !stopWords.Contains(sentence.Words[i].ToLowerInvariant()));

    /// <summary>A synonym as words (WordNet's multi-word lemmas become several tokens).</summary>
    public static string[] SplitWords(string synonym) => synonym.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    internal static double CheckAlpha(double alpha) =>
        alpha > 0 && alpha <= 1 ? alpha : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "EDA's change rate α must be in (0, 1].");
}
