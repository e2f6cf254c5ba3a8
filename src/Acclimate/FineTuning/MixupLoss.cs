using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// The <c>mixup:</c> loss (on pooled representations, Zhang et al. 2018 / Sun et al. 2020):
/// λ ~ Beta(α, α) (torch's generator, so a resumed run draws the same λ), partner = a random
/// permutation of the batch, and the cross-entropy against the mixed one-hot labels, which is
/// λ·CE(y) + (1−λ)·CE(y′).
/// </summary>
internal static class MixupLoss
{
    /// <summary>The mixed loss of one batch.</summary>
    public static Tensor Compute(MixupInputs inputs, double alpha)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        var pooled = inputs.Pooled;
        var labels = inputs.Labels;
        var lambda = SampleLambda(alpha, pooled.device);
        var partner = randperm(pooled.shape[0], device: pooled.device);
        var mixed = pooled * lambda + pooled.index_select(0, partner) * (1 - lambda);
        var logits = inputs.Classify(mixed);
        var loss = nn.functional.cross_entropy(logits, labels) * lambda + nn.functional.cross_entropy(logits, labels.index_select(0, partner)) * (1 - lambda);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>One draw of Beta(α, α) as Gamma(α)/(Gamma(α) + Gamma(α)) on torch's generator.</summary>
    internal static double SampleLambda(double alpha, Device device)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var concentration = full(2, alpha, dtype: ScalarType.Float64, device: device);
        var gammas = _standard_gamma(concentration);
        return (gammas[0] / gammas.sum()).item<double>();
    }
}
