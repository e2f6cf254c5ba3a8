using static TorchSharp.torch;

namespace Acclimate.Adaptation.FeatureAlignment;

/// <summary>
/// Squared maximum mean discrepancy between a source and a target batch of features, as a
/// differentiable loss: the biased estimate mean k(s, s') + mean k(t, t') − 2 mean k(s, t) with a
/// sum of Gaussian kernels k(x, y) = Σᵢ exp(−‖x − y‖² / (mᵢ·σ²)). σ² is the mean squared distance
/// between all pooled points (held constant for the gradient); the multipliers mᵢ are
/// {1/4, 1/2, 1, 2, 4} for the multi-kernel MMD of DAN (Long et al. 2015) or {1} for a single
/// Gaussian kernel. 0 for identical batches, never negative, growing as the batches part.
/// </summary>
internal static class MmdLoss
{
    public static readonly IReadOnlyList<double> MultiKernel = new[] { 0.25, 0.5, 1.0, 2.0, 4.0 };
    public static readonly IReadOnlyList<double> SingleKernel = new[] { 1.0 };

    /// <param name="source">[n, d] features of source examples.</param>
    /// <param name="target">[m, d] features of target examples.</param>
    public static Tensor Compute(Tensor source, Tensor target, IReadOnlyList<double>? multipliers = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (source.dim() != 2 || target.dim() != 2 || source.shape[1] != target.shape[1])
            throw new ArgumentException($"MMD needs two [n, d] feature batches of one width; got [{string.Join(", ", source.shape)}] and [{string.Join(", ", target.shape)}].");
        if (source.shape[0] == 0 || target.shape[0] == 0) throw new ArgumentException("MMD needs at least one source and one target example.");
        multipliers ??= MultiKernel;
        using var scope = NewDisposeScope();
        var n = source.shape[0];
        var pooled = cat(new[] { source, target }, 0);
        var squaredNorms = pooled.pow(2).sum(1, keepdim: true);
        var distances = (squaredNorms + squaredNorms.t() - 2 * pooled.mm(pooled.t())).clamp_min(0);   // ‖x − y‖²
        var total = pooled.shape[0];
        // The bandwidth is a constant for the gradient (DAN's choice): only the kernel values move.
        var bandwidthValue = (distances.detach().sum() / Math.Max(1, total * total - total)).clamp_min(1e-12);
        Tensor? kernel = null;
        foreach (var m in multipliers)
        {
            var k = (-distances / (bandwidthValue * m)).exp();
            kernel = kernel is null ? k : kernel + k;
        }
        var ss = kernel!.narrow(0, 0, n).narrow(1, 0, n).mean();
        var tt = kernel.narrow(0, n, total - n).narrow(1, n, total - n).mean();
        var st = kernel.narrow(0, 0, n).narrow(1, n, total - n).mean();
        return (ss + tt - 2 * st).clamp_min(0).MoveToOuterDisposeScope();
    }
}
