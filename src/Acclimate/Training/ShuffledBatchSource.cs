using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Acclimate.Errors;

namespace Acclimate.Training;

/// <summary>
/// An <see cref="IBatchSource{TBatch}"/> over examples held in memory: each epoch is a fresh
/// permutation drawn from <c>System.Random(seed + epoch)</c> (or the plain order when not
/// shuffling), cut into batches of <c>batchSize</c> (the last one may be smaller unless dropped),
/// each turned into a batch by the caller's <c>collate</c> function. The position is
/// (epoch, next batch), so restoring it regenerates the same permutation and continues.
/// </summary>
/// <remarks>
/// <c>collate</c> receives the batch's global index (a counter over all batches of all epochs), so
/// random masking can seed itself from (seed, index) and needs no state of its own to resume.
/// </remarks>
internal sealed class ShuffledBatchSource<TExample, TBatch> : IBatchSource<TBatch>
{
    private readonly IReadOnlyList<TExample> _examples;
    private readonly int _batchSize;
    private readonly bool _shuffle;
    private readonly bool _dropLast;
    private readonly int _seed;
    private readonly Func<IReadOnlyList<TExample>, long, TBatch> _collate;
    private int[] _order = Array.Empty<int>();
    private int _epoch = -1;
    private long _nextBatch;

    public ShuffledBatchSource(IReadOnlyList<TExample> examples, int batchSize, int seed,
        Func<IReadOnlyList<TExample>, long, TBatch> collate, bool shuffle = true, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(collate);
        if (batchSize < 1) throw new ConfigException($"batch size must be >= 1 (got {batchSize}).");
        if (examples.Count == 0) throw new DataException("the training set is empty; there is nothing to batch.");
        if (dropLast && examples.Count < batchSize)
            throw new DataException($"the training set has {examples.Count} examples, fewer than one batch of {batchSize}, and the last partial batch is dropped.");
        _examples = examples;
        _batchSize = batchSize;
        _seed = seed;
        _collate = collate;
        _shuffle = shuffle;
        _dropLast = dropLast;
    }

    /// <inheritdoc />
    public long? BatchesPerEpoch => _dropLast ? _examples.Count / _batchSize : (_examples.Count + _batchSize - 1) / _batchSize;

    /// <summary>The current epoch (-1 before the first <see cref="StartEpoch"/>).</summary>
    public int Epoch => _epoch;

    /// <inheritdoc />
    public void StartEpoch(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epochs count from 0.");
        _epoch = epoch;
        _nextBatch = 0;
        _order = Enumerable.Range(0, _examples.Count).ToArray();
        if (_shuffle) Shuffle(_order, unchecked(_seed + epoch));
    }

    /// <inheritdoc />
    public bool TryNext([MaybeNullWhen(false)] out TBatch batch)
    {
        if (_epoch < 0) throw new InvalidOperationException("call StartEpoch (or RestorePosition) before asking for batches.");
        batch = default;
        if (_nextBatch >= BatchesPerEpoch) return false;
        var start = (int)(_nextBatch * _batchSize);
        var count = Math.Min(_batchSize, _examples.Count - start);
        var items = new TExample[count];
        for (var i = 0; i < count; i++) items[i] = _examples[_order[start + i]];
        var globalIndex = (long)_epoch * BatchesPerEpoch!.Value + _nextBatch;
        _nextBatch++;
        batch = _collate(items, globalIndex);
        return true;
    }

    /// <summary>
    /// Fisher–Yates with a seeded System.Random (the legacy seeded generator, whose sequence .NET
    /// keeps stable); written out rather than Random.Shuffle so the permutation cannot change with
    /// the runtime's implementation.
    /// </summary>
    private static void Shuffle(int[] order, int seed)
    {
        var random = new Random(seed);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <inheritdoc />
    public JsonNode SavePosition() => new JsonObject { ["epoch"] = _epoch, ["next_batch"] = _nextBatch, ["seed"] = _seed, ["examples"] = _examples.Count };

    /// <inheritdoc />
    public void RestorePosition(JsonNode position)
    {
        ArgumentNullException.ThrowIfNull(position);
        // Through text, so a node built in memory (whose numbers keep their CLR type) reads like one parsed from a file.
        position = JsonNode.Parse(position.ToJsonString())!;
        int epoch;
        long next, examples;
        int seed;
        try
        {
            epoch = position["epoch"]!.GetValue<int>();
            next = position["next_batch"]!.GetValue<long>();
            seed = position["seed"]!.GetValue<int>();
            examples = position["examples"]!.GetValue<long>();
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"data position {position.ToJsonString()} is not one this batch source wrote (expected epoch, next_batch, seed, examples).", e);
        }
        if (seed != _seed || examples != _examples.Count)
            throw new CheckpointException($"data position was saved for {examples} examples with seed {seed}, but this source has {_examples.Count} examples with seed {_seed}; resuming would see other batches.");
        if (epoch < 0) { _epoch = -1; _nextBatch = 0; return; }
        StartEpoch(epoch);
        if (next < 0 || next > BatchesPerEpoch) throw new CheckpointException($"data position next_batch {next} is outside the epoch's {BatchesPerEpoch} batches.");
        _nextBatch = next;
    }
}
