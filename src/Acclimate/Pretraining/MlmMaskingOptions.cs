using Acclimate.Errors;

namespace Acclimate.Pretraining;

/// <summary>
/// How the MLM collator masks. Defaults are BERT/RoBERTa's: 15% of the non-special, non-padding
/// positions are selected; of those 80% become the mask token, 10% a random non-special token,
/// 10% stay unchanged; a fresh mask per call (dynamic masking).
/// </summary>
public sealed record MlmMaskingOptions
{
    /// <summary>Fraction of maskable positions (or, with whole words, of maskable tokens to cover) that are selected.</summary>
    public double MaskProbability { get; init; } = 0.15;

    /// <summary>Of the selected positions, the fraction replaced by the mask token.</summary>
    public double MaskTokenFraction { get; init; } = 0.8;

    /// <summary>Of the selected positions, the fraction replaced by a random token; the rest stay unchanged.</summary>
    public double RandomTokenFraction { get; init; } = 0.1;

    /// <summary>Token-level selection rule (ignored for whole-word masking, which selects by count as HF).</summary>
    public MaskSelection Selection { get; init; } = MaskSelection.Bernoulli;

    /// <summary>Dynamic (fresh mask per call) or static (fixed per example index).</summary>
    public MaskingMode Mode { get; init; } = MaskingMode.Dynamic;

    /// <summary>Static masking's seed; the mask of example i is drawn from <c>RandomStreams.For(StaticSeed, i)</c>.</summary>
    public long StaticSeed { get; init; }

    /// <summary>Cap on predictions per sequence (BERT's max_predictions_per_seq); null = none.</summary>
    public int? MaxPredictionsPerSequence { get; init; }

    /// <summary>Pad the batch length up to a multiple of this (tensor-core friendly shapes); null = longest sequence.</summary>
    public int? PadToMultipleOf { get; init; }

    /// <summary>Throws <see cref="ConfigException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (!(MaskProbability > 0 && MaskProbability <= 1))
            throw new ConfigException($"mask probability must be in (0, 1], found {MaskProbability}.");
        if (!(MaskTokenFraction >= 0 && RandomTokenFraction >= 0 && MaskTokenFraction + RandomTokenFraction <= 1 + 1e-12))
            throw new ConfigException($"mask-token fraction {MaskTokenFraction} and random-token fraction {RandomTokenFraction} must be non-negative and sum to at most 1.");
        if (MaxPredictionsPerSequence is <= 0)
            throw new ConfigException($"max predictions per sequence must be positive, found {MaxPredictionsPerSequence}.");
        if (PadToMultipleOf is <= 0)
            throw new ConfigException($"pad-to-multiple-of must be positive, found {PadToMultipleOf}.");
    }
}
