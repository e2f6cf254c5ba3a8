namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// EDA's synonym replacement (SR, Wei &amp; Zou 2019): n = max(1, ⌊α·length⌋) randomly chosen words
/// outside mentions, not stop words, are each replaced by a random synonym.
/// </summary>
public sealed class SynonymReplacement : IAugmentationOperation
{
    private readonly ISynonymSource _synonyms;
    private readonly IReadOnlySet<string> _stopWords;

    /// <param name="synonyms">Where synonyms come from.</param>
    /// <param name="alpha">EDA's change rate α, in (0, 1].</param>
    /// <param name="stopWords">Lower-cased words never replaced (EDA's stop list); null for none.</param>
    public SynonymReplacement(ISynonymSource synonyms, double alpha, IReadOnlySet<string>? stopWords = null)
    {
        _synonyms = synonyms ?? throw new ArgumentNullException(nameof(synonyms));
        Alpha = EasyDataAugmentation.CheckAlpha(alpha);
        _stopWords = stopWords ?? new HashSet<string>();
    }

    /// <inheritdoc />
    public string Name => "sr";

    /// <summary>EDA's change rate α: replacements = max(1, ⌊α·length⌋).</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public AugmentableSentence Apply(AugmentableSentence sentence, Random random)
    {
        var wanted = EasyDataAugmentation.ChangeCount(Alpha, sentence.Words.Count);
        var candidates = EasyDataAugmentation.ContentWords(sentence, _stopWords).ToArray();
        random.Shuffle(candidates);
        var replaced = 0;
        // Replacing from the right keeps the indices still to visit valid when a synonym has several words.
        var chosen = new List<(int Index, string[] Words)>();
        foreach (var index in candidates)
        {
            if (replaced == wanted) break;
            var synonyms = _synonyms.SynonymsOf(sentence.Words[index]);
            if (synonyms.Count == 0) continue;
            var synonym = synonyms[random.Next(synonyms.Count)];
            chosen.Add((index, EasyDataAugmentation.SplitWords(WordCase.Like(sentence.Words[index], synonym))));
            replaced++;
        }
        foreach (var (index, words) in chosen.OrderByDescending(c => c.Index))
            sentence = sentence.Replace(index, words);
        return sentence;
    }
}
