namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// EDA's random swap (RS): n = max(1, ⌊α·length⌋) times, two random words outside mentions trade
/// places. Mentions keep their positions, so each stays one contiguous block with its labels.
/// </summary>
public sealed class RandomSwap : IAugmentationOperation
{
    /// <summary>Random swap with EDA's change rate <paramref name="alpha"/>, in (0, 1].</summary>
    public RandomSwap(double alpha) => Alpha = EasyDataAugmentation.CheckAlpha(alpha);

    /// <inheritdoc />
    public string Name => "rs";

    /// <summary>EDA's change rate α: swaps = max(1, ⌊α·length⌋).</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public AugmentableSentence Apply(AugmentableSentence sentence, Random random)
    {
        var outside = sentence.OutsideIndices();
        if (outside.Count < 2) return sentence;
        var wanted = EasyDataAugmentation.ChangeCount(Alpha, sentence.Words.Count);
        for (var n = 0; n < wanted; n++)
        {
            var first = outside[random.Next(outside.Count)];
            var second = outside[random.Next(outside.Count - 1)];
            if (second == first) second = outside[^1];   // a uniform draw among the other positions
            sentence = sentence.Swap(first, second);
        }
        return sentence;
    }
}
