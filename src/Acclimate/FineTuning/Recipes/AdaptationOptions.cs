using Acclimate.Adaptation.FeatureAlignment;
using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>
/// The <c>adaptation:</c> section: feature-level domain adaptation during fine-tuning with
/// unlabeled target text. Every training micro-batch is paired with one target batch of the same
/// size (cycling through the target text in a seeded order); the pooled features of both go into
/// MMD (<see cref="Mmd"/>) and/or a domain classifier behind gradient reversal (<see cref="Dann"/>),
/// whose weighted losses are added to the task loss. Both may be on at once.
/// </summary>
public sealed record AdaptationOptions : IValidatedOptions
{
    /// <summary>Unlabeled target-domain text (see <see cref="TargetFormat"/>); null = off.</summary>
    public string? TargetText { get; init; }

    /// <summary>How the target text file is read (plain lines or CoNLL tokens).</summary>
    public TargetTextFormat TargetFormat { get; init; } = TargetTextFormat.Text;

    /// <summary>Use at most this many target lines / sentences (0: all).</summary>
    public int MaxTarget { get; init; }

    /// <summary>MMD between source and target features (<c>adaptation.mmd.*</c>).</summary>
    public MmdOptions Mmd { get; init; } = new();

    /// <summary>Domain-adversarial training with gradient reversal (<c>adaptation.dann.*</c>).</summary>
    public DannOptions Dann { get; init; } = new();

    /// <summary>True when a target-data loss is on.</summary>
    public bool Enabled => Mmd.Weight > 0 || Dann.Weight > 0;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (MaxTarget < 0) yield return $"max_target must be >= 0 (got {MaxTarget})";
        if (Enabled && string.IsNullOrWhiteSpace(TargetText))
            yield return "mmd.weight / dann.weight > 0 need target_text, a file of unlabeled target-domain text";
        if (!Enabled && !string.IsNullOrWhiteSpace(TargetText))
            yield return "target_text is given but no loss uses it; set mmd.weight and/or dann.weight > 0";
        if (!string.IsNullOrWhiteSpace(TargetText) && !File.Exists(TargetText))
            yield return $"target_text '{TargetText}': file not found";
    }
}
