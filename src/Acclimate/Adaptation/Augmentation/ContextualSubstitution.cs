namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// Contextual augmentation (Kobayashi 2018; Wu et al. 2019, conditional BERT): n = max(1, ⌊α·length⌋)
/// random words outside mentions (words with a letter, so punctuation stays) are masked together and
/// each is replaced by a word sampled from the model's top-k proposals for its position, in
/// proportion to their probabilities. The original word is never chosen; replacements are whole
/// words of the model's vocabulary.
/// </summary>
public sealed class ContextualSubstitution : IAugmentationOperation
{
    private readonly IMaskedWordPredictor _predictor;

    /// <param name="predictor">The masked language model (ideally the domain-adapted one).</param>
    /// <param name="alpha">Share of the words masked, in (0, 1].</param>
    /// <param name="topK">Candidates sampled from per position.</param>
    public ContextualSubstitution(IMaskedWordPredictor predictor, double alpha, int topK = 10)
    {
        _predictor = predictor ?? throw new ArgumentNullException(nameof(predictor));
        Alpha = EasyDataAugmentation.CheckAlpha(alpha);
        TopK = topK >= 1 ? topK : throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be at least 1.");
    }

    /// <inheritdoc />
    public string Name => "contextual";

    /// <summary>Share of the words masked, in (0, 1].</summary>
    public double Alpha { get; }

    /// <summary>Candidates sampled from per masked position.</summary>
    public int TopK { get; }

    /// <inheritdoc />
    public AugmentableSentence Apply(AugmentableSentence sentence, Random random)
    {
        var candidates = sentence.OutsideIndices().Where(i => WordCase.HasLetter(sentence.Words[i])).ToArray();
        if (candidates.Length == 0) return sentence;
        random.Shuffle(candidates);
        var masked = candidates.Take(EasyDataAugmentation.ChangeCount(Alpha, sentence.Words.Count)).Order().ToArray();
        var proposals = _predictor.Predict(sentence.Words, masked, TopK);
        var result = sentence;
        for (var m = 0; m < masked.Length; m++)
        {
            var original = sentence.Words[masked[m]];
            var options = proposals[m].Where(c => c.Word.Length > 0 && !WordCase.Same(c.Word, original) && !c.Word.Any(char.IsWhiteSpace)).ToArray();
            if (options.Length == 0) continue;
            // One word for one word, so the other masked indices stay valid.
            result = result.Replace(masked[m], new[] { WordCase.Like(original, Sample(options, random)) });
        }
        return result;
    }

    private static string Sample(WordCandidate[] options, Random random)
    {
        var total = options.Sum(o => Math.Max(0, o.Probability));
        if (!(total > 0)) return options[random.Next(options.Length)].Word;
        var draw = random.NextDouble() * total;
        foreach (var option in options)
        {
            draw -= Math.Max(0, option.Probability);
            if (draw < 0) return option.Word;
        }
        return options[^1].Word;
    }
}
