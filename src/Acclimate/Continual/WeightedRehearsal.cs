using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Continual;

/// <summary>
/// The loss-weighted form of rehearsal: every step sees a domain batch and a general batch and
/// minimizes L_domain + α·L_general, instead of alternating batches by a <see cref="RehearsalSchedule"/>
/// (the mixing <see cref="Pretraining.PretrainingBatchSource"/> does). α = 0 is plain domain training.
/// </summary>
internal sealed class WeightedRehearsal
{
    public WeightedRehearsal(double generalWeight)
    {
        if (!(generalWeight >= 0) || double.IsInfinity(generalWeight))
            throw new ConfigException($"the general-domain loss weight α must be a non-negative number, found {generalWeight}.");
        GeneralWeight = generalWeight;
    }

    /// <summary>α.</summary>
    public double GeneralWeight { get; }

    /// <summary>L_domain + α·L_general, with both graphs.</summary>
    public Tensor Combine(Tensor domainLoss, Tensor generalLoss)
    {
        ArgumentNullException.ThrowIfNull(domainLoss);
        ArgumentNullException.ThrowIfNull(generalLoss);
        using var weighted = generalLoss * GeneralWeight;
        return domainLoss + weighted;
    }
}
