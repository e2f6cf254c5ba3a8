using Acclimate.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>Runs a per-token model over the windows of a <see cref="SlidingWindowPlan"/> and merges the outputs.</summary>
internal static class SlidingWindowRunner
{
    /// <summary>
    /// Builds every window's input (prefix + content slice + suffix), runs
    /// <paramref name="scoreWindows"/> on batches of up to <paramref name="batchSize"/> windows
    /// (all windows have the same length, so no padding is needed), and merges the per-token
    /// outputs with <see cref="SlidingWindowPlan.Merge"/>. Returns [content length, …].
    /// </summary>
    /// <param name="scoreWindows">input ids [windows, positions] (int64) → outputs [windows, positions, …].</param>
    public static Tensor Run(SlidingWindowPlan plan, IReadOnlyList<long> contentIds, IReadOnlyList<long> prefix, IReadOnlyList<long> suffix,
        Func<Tensor, Tensor> scoreWindows, int batchSize = 8, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(scoreWindows);
        if (batchSize <= 0) throw new ConfigException($"sliding windows: batch size must be positive; got {batchSize}.");
        if (plan.Windows.Count == 0) throw new DataException("sliding windows: the sequence has no content tokens.");
        using var scope = NewDisposeScope();
        var positions = prefix.Count + plan.WindowLength + suffix.Count;
        var outputs = new List<Tensor>();
        for (var first = 0; first < plan.Windows.Count; first += batchSize)
        {
            // Each batch's activations (every layer's hidden states) are freed before the next batch runs.
            using var batchScope = NewDisposeScope();
            var count = Math.Min(batchSize, plan.Windows.Count - first);
            var ids = new long[count * positions];
            for (var i = 0; i < count; i++)
                plan.InputIds(first + i, contentIds, prefix, suffix).CopyTo(ids, i * positions);
            var batch = tensor(ids, new long[] { count, positions }, device: device);
            var output = scoreWindows(batch);
            if (output.dim() < 2 || output.shape[0] != count || output.shape[1] != positions)
                throw new DataException($"sliding windows: the model returned [{string.Join(", ", output.shape)}] for input [{count}, {positions}]; expected [{count}, {positions}, …].");
            outputs.Add(output.MoveToOuterDisposeScope());
        }
        var all = outputs.Count == 1 ? outputs[0] : cat(outputs, 0);
        return plan.Merge(all, prefix.Count).MoveToOuterDisposeScope();
    }
}
