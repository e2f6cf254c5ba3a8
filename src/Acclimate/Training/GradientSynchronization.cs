using System.Diagnostics;
using System.Runtime.InteropServices;
using Acclimate.Errors;
using Acclimate.Runtime.Mpi;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Training;

/// <summary>
/// The one place data-parallel training talks to the other ranks about tensors: it checks that every
/// rank starts from the same weights, and after the backward passes of an update it sums the
/// gradients of all ranks in flattened fp32 buckets (<see cref="BucketBytes"/>, 25 MB by default)
/// with an MPI all-reduce, so every rank then clips and steps on the same gradient.
/// </summary>
/// <remarks>
/// The loop back-propagates each micro-batch's loss × 1 / (micro-batches in the whole update, over
/// all ranks), so the sum over ranks is the mean over the global batch — the gradient one process
/// would have accumulated. Which parameters take part is agreed on first (a max all-reduce of
/// "has a gradient" flags): a parameter with a gradient on some rank but not on this one (its
/// micro-batches never reached it) takes part with zeros; one without a gradient on every rank
/// (frozen, e.g. LoRA's base weights, or unused) is skipped and keeps no gradient, as AdamW expects.
/// </remarks>
internal sealed class GradientSynchronization
{
    private readonly MpiWorld _world;
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;

    public GradientSynchronization(MpiWorld world, IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        _world = world ?? throw new ArgumentNullException(nameof(world));
        _parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
    }

    /// <summary>Largest flattened bucket sent in one all-reduce.</summary>
    public long BucketBytes { get; init; } = 25L << 20;

    /// <summary>Time spent in gradient all-reduces since the last <see cref="TakeTime"/> (copies into and out of the buckets included).</summary>
    private TimeSpan _time;

    /// <summary>Bytes all-reduced by the last <see cref="SumGradients"/>.</summary>
    public long LastBytes { get; private set; }

    /// <summary>Time spent in gradient synchronisation since the previous call.</summary>
    public TimeSpan TakeTime()
    {
        var t = _time;
        _time = TimeSpan.Zero;
        return t;
    }

    /// <summary>
    /// Fails on every rank, each naming the lowest differing rank and its first differing parameter,
    /// when some rank's weights are not rank 0's (compared through per-parameter checksums broadcast
    /// from rank 0).
    /// </summary>
    public void VerifySameWeights(string when)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var local = new double[_parameters.Count * 3];
        for (var i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i].Parameter.detach().to_type(ScalarType.Float64).flatten();
            local[3 * i] = p.sum().item<double>();
            local[3 * i + 1] = p.square().sum().item<double>();
            // position-weighted, so a permutation of the same values is caught too
            local[3 * i + 2] = (p * arange(1, p.numel() + 1, ScalarType.Float64, p.device)).sum().item<double>();
        }
        var root = (double[])local.Clone();
        _world.Broadcast(root, 0, "the weight check " + when);
        var firstMismatch = -1;
        for (var i = 0; i < _parameters.Count && firstMismatch < 0; i++)
            if (local[3 * i] != root[3 * i] || local[3 * i + 1] != root[3 * i + 1] || local[3 * i + 2] != root[3 * i + 2]) firstMismatch = i;
        // Every rank learns the lowest differing rank and that rank's first differing parameter, so
        // the message is complete whichever rank reaches MPI_Abort first (the others die with it).
        var flag = new[] { firstMismatch < 0 ? 0.0 : _world.Size - _world.Rank, _parameters.Count };
        _world.AllReduceMax(flag, "the weight check " + when);
        if (flag[0] != 0)
        {
            var rank = _world.Size - (int)flag[0];
            var first = new[] { (double)firstMismatch };
            _world.Broadcast(first, rank, "the weight check " + when);
            var index = (int)first[0];
            var detail = rank == _world.Rank ? $" (sum {local[3 * index]:R} here, {root[3 * index]:R} on rank 0)" : "";
            throw new AcclimateException($"data-parallel training {when}: rank {rank}'s weights differ from rank 0's, first at parameter '{_parameters[index].Name}'{detail}; " +
                "every rank must build the model from the same recipe, seed and checkpoint.");
        }
        if (flag[1] != _parameters.Count)
            throw new AcclimateException($"data-parallel training {when}: the ranks train different numbers of parameters ({_parameters.Count} here, up to {flag[1]} elsewhere).");
    }

    /// <summary>Sums every rank's gradients in place (see the remarks); returns the bytes all-reduced.</summary>
    public long SumGradients()
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var has = new double[_parameters.Count];
        for (var i = 0; i < has.Length; i++) has[i] = _parameters[i].Parameter.grad is null ? 0 : 1;
        _world.AllReduceMax(has, "the gradient presence flags");

        var bucket = new List<Parameter>();
        long bucketBytes = 0, total = 0;
        for (var i = 0; i < _parameters.Count; i++)
        {
            if (has[i] == 0) continue;
            var parameter = _parameters[i].Parameter;
            if (parameter.grad is null) parameter.grad = zeros_like(parameter).DetachFromDisposeScope();
            var bytes = parameter.numel() * sizeof(float);
            if (bucket.Count > 0 && bucketBytes + bytes > BucketBytes)
            {
                total += Reduce(bucket);
                bucket.Clear();
                bucketBytes = 0;
            }
            bucket.Add(parameter);
            bucketBytes += bytes;
        }
        if (bucket.Count > 0) total += Reduce(bucket);
        LastBytes = total;
        _time += clock.Elapsed;
        return total;
    }

    /// <summary>Sums a few values (the update's loss sum, tokens, micro-batches) over all ranks, in place.</summary>
    public void SumValues(double[] values, string what) => _world.AllReduceSum(values, what);

    private long Reduce(List<Parameter> bucket)
    {
        using var scope = NewDisposeScope();
        var grads = bucket.Select(p => p.grad!).ToList();
        var flat = cat(grads.Select(g => g.detach().to_type(ScalarType.Float32).flatten()).ToList(), 0).cpu().contiguous();
        var floats = MemoryMarshal.Cast<byte, float>(flat.bytes);
        _world.AllReduceSum(floats, $"the gradient all-reduce ({bucket.Count} tensors, {flat.numel() * 4:N0} bytes)");
        long offset = 0;
        foreach (var g in grads)
        {
            var n = g.numel();
            g.copy_(flat.narrow(0, offset, n).view(g.shape).to(g.dtype).to(g.device));
            offset += n;
        }
        return flat.numel() * sizeof(float);
    }
}
