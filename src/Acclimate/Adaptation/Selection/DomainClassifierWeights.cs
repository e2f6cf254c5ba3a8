using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Adaptation.Selection;

/// <summary>
/// Importance weights from a domain classifier: a logistic regression on sentence embeddings
/// learns target (1) against pool (0) with the two classes weighted equally, so its odds
/// p(target|x)/p(pool|x) estimate the density ratio p_target(x)/p_pool(x) — the weight that makes
/// the pool's loss an estimate of the target's (covariate-shift importance weighting). The pool
/// is scored by cross-fitting: it is split into folds and each fold is scored by a classifier
/// trained on the target and the other folds, so no pool sentence is scored by a classifier that
/// saw it (in-sample odds of a separable problem run off to infinity).
/// </summary>
public static class DomainClassifierWeights
{
    /// <param name="target">Target embeddings.</param>
    /// <param name="pool">Pool embeddings (e.g. the labelled training sentences).</param>
    /// <param name="folds">Cross-fitting folds over the pool (at least 2).</param>
    /// <param name="l2">L2 penalty on the classifier's weights (keeps the odds finite on separable data).</param>
    /// <param name="iterations">Full-batch Adam steps per fold.</param>
    /// <param name="seed">Seed of the fold assignment.</param>
    /// <returns>One weight per pool item, in pool order.</returns>
    public static double[] Compute(IReadOnlyList<float[]> target, IReadOnlyList<float[]> pool, int folds = 5, double l2 = 1e-3, int iterations = 300, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(pool);
        if (target.Count == 0 || pool.Count == 0) throw new DataException($"domain-classifier weights need target and pool examples (got {target.Count} target, {pool.Count} pool).");
        if (folds < 2) throw new ConfigException($"domain-classifier weights: folds must be >= 2 (got {folds}).");
        folds = Math.Min(folds, pool.Count);
        var dimension = target[0].Length;
        using var scope = NewDisposeScope();
        var t = Matrix(target, dimension, "target");
        var p = Matrix(pool, dimension, "pool");
        // Standardize with the pooled statistics so one learning rate and penalty suit any encoder.
        var all = cat(new[] { t, p }, 0);
        var mean = all.mean(new long[] { 0 }, keepdim: true);
        var std = all.std(0, keepdim: true).clamp_min(1e-6);
        t = (t - mean) / std;
        p = (p - mean) / std;

        var assignment = Enumerable.Range(0, pool.Count).Select(i => i % folds).ToArray();
        new Random(seed).Shuffle(assignment);
        var weights = new double[pool.Count];
        for (var f = 0; f < folds; f++)
        {
            using var foldScope = NewDisposeScope();
            var held = Enumerable.Range(0, pool.Count).Where(i => assignment[i] == f).Select(i => (long)i).ToArray();
            var kept = Enumerable.Range(0, pool.Count).Where(i => assignment[i] != f).Select(i => (long)i).ToArray();
            if (held.Length == 0) continue;
            var train = kept.Length == 0 ? p : p.index_select(0, tensor(kept));
            var (w, b) = Fit(t, train, l2, iterations);
            using var _ = no_grad();
            var logits = p.index_select(0, tensor(held)).mv(w) + b;
            var odds = logits.exp().to_type(ScalarType.Float64).data<double>().ToArray();
            for (var i = 0; i < held.Length; i++) weights[held[i]] = odds[i];
        }
        return weights;
    }

    /// <summary>Class-balanced logistic regression (each class's mean log-loss weighted ½) with an L2 penalty, by full-batch Adam.</summary>
    private static (Tensor Weight, Tensor Bias) Fit(Tensor target, Tensor pool, double l2, int iterations)
    {
        // Zero start and full batches: deterministic without touching torch's generator.
        var w = new TorchSharp.Modules.Parameter(zeros(target.shape[1]));
        var b = new TorchSharp.Modules.Parameter(zeros(1));
        using var optimizer = optim.Adam(new[] { w, b }, lr: 0.05);
        var ones = full(target.shape[0], 1f);
        var zeroLabels = zeros(pool.shape[0]);
        for (var step = 0; step < iterations; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = 0.5 * nn.functional.binary_cross_entropy_with_logits(target.mv(w) + b, ones)
                + 0.5 * nn.functional.binary_cross_entropy_with_logits(pool.mv(w) + b, zeroLabels)
                + l2 * w.pow(2).sum();
            loss.backward();
            optimizer.step();
        }
        return (w.detach(), b.detach());
    }

    private static Tensor Matrix(IReadOnlyList<float[]> rows, int dimension, string what)
    {
        var flat = new float[rows.Count * dimension];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != dimension) throw new DataException($"{what} embedding {i} has {rows[i].Length} values; expected {dimension}.");
            Array.Copy(rows[i], 0, flat, i * dimension, dimension);
        }
        return tensor(flat, new long[] { rows.Count, dimension });
    }
}
