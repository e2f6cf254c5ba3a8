using Acclimate.Training;

namespace Acclimate.Adaptation.FeatureAlignment;

/// <summary>
/// <c>adaptation.mmd</c>: weight·MMD²(source features, target features) added to the task loss
/// every step (<see cref="MmdLoss"/>); weight 0 turns it off.
/// </summary>
public sealed record MmdOptions : IValidatedOptions
{
    /// <summary>Weight of the MMD term added to the task loss (0 = MMD off).</summary>
    public double Weight { get; init; }

    /// <summary>The kernel the MMD is computed with.</summary>
    public MmdKernel Kernel { get; init; } = MmdKernel.Multi;

    /// <summary>The kernel multipliers <see cref="MmdLoss.Compute"/> takes for <see cref="Kernel"/>.</summary>
    public IReadOnlyList<double> Multipliers => Kernel == MmdKernel.Single ? MmdLoss.SingleKernel : MmdLoss.MultiKernel;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (!(Weight >= 0) || double.IsInfinity(Weight)) yield return $"mmd.weight must be a finite number >= 0 (got {Weight})";
    }
}
