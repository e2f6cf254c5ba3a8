using static TorchSharp.torch;

namespace Acclimate.Training;

/// <summary>
/// The named parts of a composite loss (ELECTRA's generator and discriminator losses, MLM and
/// SOP/NSP, a rehearsal batch's loss…) summed on the device step by step and read once per log
/// window, so logging them adds no device→host sync to a training step. <see cref="TrainingLoop{TBatch}"/>
/// writes the window means as <c>loss_&lt;name&gt;</c> into each metrics record.
/// </summary>
public sealed class LossPartsLog : IDisposable
{
    private readonly Dictionary<string, (Tensor Sum, int Count)> _parts = new(StringComparer.Ordinal);

    /// <summary>Adds one micro-batch's value of each part (scalars; the graph is not kept).</summary>
    public void Add(IReadOnlyDictionary<string, Tensor> parts, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(parts);
        using var _ = no_grad();
        foreach (var (name, value) in parts)
        {
            var key = prefix + name;
            if (!_parts.TryGetValue(key, out var entry))
                // Owned here, not by the step's dispose scope, so it outlives the step.
                entry = (zeros(1, dtype: ScalarType.Float64, device: value.device).DetachFromDisposeScope(), 0);
            using var flat = value.detach().reshape(1);
            using var wide = flat.to_type(ScalarType.Float64);
            entry.Sum.add_(wide);
            _parts[key] = (entry.Sum, entry.Count + 1);
        }
    }

    /// <summary>
    /// The window's sums and counts of every part seen so far (counts of 0 included), sorted by
    /// name, and resets them: what a data-parallel loop sums over its ranks before taking means.
    /// </summary>
    internal List<(string Name, double Sum, int Count)> DrainSums()
    {
        var sums = new List<(string Name, double Sum, int Count)>();
        foreach (var name in _parts.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList())
        {
            var (sum, count) = _parts[name];
            sums.Add(("loss_" + name, count > 0 ? sum.cpu().item<double>() : 0.0, count));
            sum.zero_();
            _parts[name] = (sum, 0);
        }
        return sums;
    }

    /// <summary>The mean of each part since the last call (one host read per part), then starts a new window.</summary>
    public IReadOnlyDictionary<string, double> Drain()
    {
        var means = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, (sum, count)) in _parts)
        {
            if (count > 0) means["loss_" + name] = sum.cpu().item<double>() / count;
            sum.zero_();
            _parts[name] = (sum, 0);
        }
        return means;
    }

    /// <summary>Disposes the running sums.</summary>
    public void Dispose()
    {
        foreach (var (sum, _) in _parts.Values) sum.Dispose();
        _parts.Clear();
    }
}
