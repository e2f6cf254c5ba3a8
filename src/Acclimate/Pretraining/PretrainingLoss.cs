using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// What a pretraining objective returns for one batch: the scalar to back-propagate and its
/// named parts (e.g. <c>mlm</c>, <c>nsp</c>/<c>sop</c>, <c>generator</c>, <c>discriminator</c>)
/// for logging (<see cref="Training.LossPartsLog"/>). The parts are the unweighted losses; <see cref="Total"/> applies the weights.
/// </summary>
public sealed class PretrainingLoss : IDisposable
{
    /// <summary>A loss and its logged parts.</summary>
    /// <param name="total">The scalar loss to backpropagate.</param>
    /// <param name="parts">Detached scalar parts by name (mlm, nsp, sop, generator, discriminator).</param>
    /// <param name="maskedTokens">Positions that carried an MLM prediction.</param>
    public PretrainingLoss(Tensor total, IReadOnlyDictionary<string, Tensor> parts, long maskedTokens)
    {
        Total = total;
        Parts = parts;
        MaskedTokens = maskedTokens;
    }

    /// <summary>The scalar loss with its autograd graph.</summary>
    public Tensor Total { get; }

    /// <summary>Detached scalar parts by name, logged beside the total.</summary>
    public IReadOnlyDictionary<string, Tensor> Parts { get; }

    /// <summary>How many positions carried an MLM prediction.</summary>
    public long MaskedTokens { get; }

    /// <summary>Disposes the total and the parts.</summary>
    public void Dispose()
    {
        foreach (var part in Parts.Values)
            if (!ReferenceEquals(part, Total)) part.Dispose();
        Total.Dispose();
    }
}
