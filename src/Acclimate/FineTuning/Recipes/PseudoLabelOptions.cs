using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>
/// The <c>pseudo_labels:</c> section: after training on gold data, label unlabeled target text
/// with the best model, keep sentences whose confidence reaches <see cref="Threshold"/>, and train
/// again on gold + pseudo with per-sample weights (loss = (1/(n+m)) Σ wᵢ·Lᵢ), for <see cref="Rounds"/> rounds.
/// </summary>
public sealed record PseudoLabelOptions : IValidatedOptions
{
    /// <summary>Unlabeled text, one sentence/document per line (whitespace-separated words); null = off.</summary>
    public string? Unlabeled { get; init; }

    /// <summary>Keep a pseudo-labelled sentence when its confidence (mean over words of the top label's probability) is at least this.</summary>
    public double Threshold { get; init; } = 0.9;

    /// <summary>W1: weight of each gold example's loss.</summary>
    public double GoldWeight { get; init; } = 1.0;

    /// <summary>W2: weight of each pseudo-labelled example's loss.</summary>
    public double PseudoWeight { get; init; } = 0.5;

    /// <summary>Label-then-retrain rounds.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Use at most this many unlabeled lines (0: all).</summary>
    public int MaxUnlabeled { get; init; }

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (!(Threshold >= 0 && Threshold <= 1)) yield return $"threshold must be in [0, 1] (got {Threshold})";
        if (!(GoldWeight >= 0) || !(PseudoWeight >= 0)) yield return "gold_weight and pseudo_weight must be >= 0";
        if (Rounds < 1) yield return $"rounds must be >= 1 (got {Rounds})";
        if (MaxUnlabeled < 0) yield return $"max_unlabeled must be >= 0 (got {MaxUnlabeled})";
    }
}
