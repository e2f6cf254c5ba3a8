namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// EDA's random insertion (RI): n = max(1, ⌊α·length⌋) times, a synonym of a random content word
/// outside mentions is inserted at a random position that is not inside a mention.
/// </summary>
public sealed class RandomInsertion : IAugmentationOperation
{
    // EDA gives up on a sentence after this many words without a synonym.
    private const int Attempts = 10;
    private readonly ISynonymSource _synonyms;
    private readonly IReadOnlySet<string> _stopWords;

    /// <summary>Random insertion.</summary>
    /// <param name="synonyms">Where synonyms come from.</param>
    /// <param name="alpha">EDA's change rate α, in (0, 1].</param>
    /// <param name="stopWords">Lower-cased words whose synonyms are never inserted; null for none.</param>
    public RandomInsertion(ISynonymSource synonyms, double alpha, IReadOnlySet<string>? stopWords = null)
    {
        _synonyms = synonyms ?? throw new ArgumentNullException(nameof(synonyms));
        Alpha = EasyDataAugmentation.CheckAlpha(alpha);
        _stopWords = stopWords ?? new HashSet<string>();
    }

    /// <inheritdoc />
    public string Name => "ri";

    /// <summary>EDA's change rate α: insertions = max(1, ⌊α·length⌋).</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public AugmentableSentence Apply(AugmentableSentence sentence, Random random)
    {
        var wanted = EasyDataAugmentation.ChangeCount(Alpha, sentence.Words.Count);
        for (var n = 0; n < wanted; n++)
        {
            var candidates = EasyDataAugmentation.ContentWords(sentence, _stopWords).ToArray();
            if (candidates.Length == 0) break;
            IReadOnlyList<string> synonyms = Array.Empty<string>();
            for (var attempt = 0; attempt < Attempts && synonyms.Count == 0; attempt++)
                synonyms = _synonyms.SynonymsOf(sentence.Words[candidates[random.Next(candidates.Length)]]);
            if (synonyms.Count == 0) break;
            var words = EasyDataAugmentation.SplitWords(synonyms[random.Next(synonyms.Count)]);
            var positions = Enumerable.Range(0, sentence.Words.Count + 1).Where(sentence.CanInsertAt).ToArray();
            sentence = sentence.Insert(positions[random.Next(positions.Length)], words);
        }
        return sentence;
    }
}
