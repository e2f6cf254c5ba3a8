using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.DomainAdaptation;

/// <summary>
/// Batches of unlabeled target examples for feature-level adaptation, drawn one per training
/// micro-batch and cycling without end: each pass over the target set is a seeded shuffle
/// (seed, pass), so the stream is a pure function of how many batches were drawn. That count is
/// the whole state a resumed run needs (<see cref="SaveState"/>).
/// </summary>
internal sealed class TargetBatches<T>
{
    private readonly IReadOnlyList<T> _examples;
    private readonly int _batchSize;
    private readonly int _seed;
    private int[] _order = Array.Empty<int>();
    private long _orderPass = -1;

    public TargetBatches(IReadOnlyList<T> examples, int batchSize, int seed)
    {
        _examples = examples ?? throw new ArgumentNullException(nameof(examples));
        if (examples.Count == 0) throw new DataException("the target text holds no example to adapt to.");
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _batchSize = Math.Min(batchSize, examples.Count);
        _seed = seed;
    }

    /// <summary>Batches drawn so far.</summary>
    public long Drawn { get; private set; }

    public int Count => _examples.Count;

    /// <summary>Batches per pass (the last batch of a pass may be short).</summary>
    public long BatchesPerPass => (_examples.Count + _batchSize - 1) / _batchSize;

    /// <summary>The next batch of target examples.</summary>
    public IReadOnlyList<T> Next()
    {
        var pass = Drawn / BatchesPerPass;
        var index = Drawn % BatchesPerPass;
        if (pass != _orderPass)
        {
            _order = Enumerable.Range(0, _examples.Count).ToArray();
            // Not HashCode.Combine: it is randomized per process, and the order must survive a restart.
            new Random(unchecked(_seed * 1_000_003 + (int)pass)).Shuffle(_order);
            _orderPass = pass;
        }
        Drawn++;
        var from = (int)(index * _batchSize);
        var to = Math.Min(from + _batchSize, _examples.Count);
        var batch = new T[to - from];
        for (var i = from; i < to; i++) batch[i - from] = _examples[_order[i]];
        return batch;
    }

    public JsonNode SaveState() => new JsonObject { ["target_batches_drawn"] = Drawn, ["target_examples"] = _examples.Count };

    public void RestoreState(JsonNode? state)
    {
        if (state?["target_batches_drawn"] is not { } drawn)
            throw new CheckpointException("the checkpoint's trainer state has no target-batch position (target_batches_drawn); it was not written by a run with adaptation.target_text.");
        var count = state["target_examples"]?.GetValue<int>();
        if (count is int n && n != _examples.Count)
            throw new CheckpointException($"the checkpoint was trained with {n} target examples, this run has {_examples.Count}; resume with the same adaptation.target_text.");
        Drawn = drawn.GetValue<long>();
    }
}
