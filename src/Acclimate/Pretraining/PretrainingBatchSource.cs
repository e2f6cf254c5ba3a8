using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Acclimate.Continual;
using Acclimate.Data.Batching;
using Acclimate.Errors;
using Acclimate.Training;

namespace Acclimate.Pretraining;

/// <summary>A fixed, indexable set of pretraining sequences (blocks of a token cache, or sentence pairs).</summary>
public interface IPretrainingExamples
{
    /// <summary>Number of examples.</summary>
    int Count { get; }

    /// <summary>Sequence <paramref name="index"/>, special tokens included, with <see cref="MlmExample.ExampleIndex"/> = index.</summary>
    MlmExample Get(int index);
}

/// <summary>The blocks of a <see cref="PretrainingBlocks"/> as examples (read from the memory-mapped cache on demand).</summary>
public sealed class BlockExamples : IPretrainingExamples
{
    private readonly PretrainingBlocks _blocks;
    private readonly int _count;
    private readonly IReadOnlyList<int[]>? _references;

    /// <param name="blocks">The blocks.</param>
    /// <param name="maxCount">Use only the first this many blocks (null = all): held-out sets are capped this way.</param>
    /// <param name="wordReferences">
    /// Line-by-line blocks only: per token-cache document, the positions that continue a word
    /// (<see cref="ChineseWordReferences"/>); positions cut off by the block size are dropped.
    /// </param>
    public BlockExamples(PretrainingBlocks blocks, int? maxCount = null, IReadOnlyList<int[]>? wordReferences = null)
    {
        _blocks = blocks ?? throw new ArgumentNullException(nameof(blocks));
        _count = maxCount is int m && m > 0 ? Math.Min(m, blocks.Count) : blocks.Count;
        if (wordReferences is not null && blocks.Mode != BlockMode.LineByLine)
            throw new ArgumentException("word references belong to lines; the blocks must be line by line.", nameof(wordReferences));
        _references = wordReferences;
    }

    /// <inheritdoc />
    public int Count => _count;

    /// <inheritdoc />
    public MlmExample Get(int index)
    {
        var block = _blocks.Block(index);
        if (_references is null) return new MlmExample(block) { ExampleIndex = index };
        // [CLS] is position 0 in the reference as in the block; the block's last position is [SEP].
        var positions = _references[_blocks.DocumentOf(index)].Where(p => p < block.Length - 1).ToArray();
        return new MlmExample(block) { ExampleIndex = index, ContinuationPositions = positions };
    }
}

/// <summary>NSP / SOP sentence pairs held in memory, drawn once per run (as HF's dataset classes do).</summary>
internal sealed class PairExamples : IPretrainingExamples
{
    private readonly IReadOnlyList<SentencePairExample> _pairs;

    public PairExamples(IReadOnlyList<SentencePairExample> pairs)
    {
        _pairs = pairs ?? throw new ArgumentNullException(nameof(pairs));
    }

    public int Count => _pairs.Count;

    public MlmExample Get(int index) => _pairs[index].ToMlmExample(index);
}

/// <summary>
/// An endless, reproducible sequence of MLM batches over a set of examples: batch g (global index,
/// counting over epochs) is batch g mod n of epoch g / n, where epoch e is a permutation drawn from
/// (seed, stream, e) and n = ⌊count / batch size⌋ (the ragged tail is dropped so shapes stay fixed).
/// Its mask is drawn from <see cref="RandomStreams.For"/>(seed, stream, g), so any batch can be
/// rebuilt from its index alone — which is what makes resume exact and rehearsal mixing simple.
/// </summary>
public sealed class PretrainingBatchSequence
{
    private readonly IPretrainingExamples _examples;
    private readonly MlmCollator _collator;
    private readonly int _seed;
    private readonly int _stream;
    private int _orderEpoch = -1;
    private int[] _order = Array.Empty<int>();

    /// <param name="name">What the examples are (for errors), e.g. "data.train".</param>
    public PretrainingBatchSequence(string name, IPretrainingExamples examples, MlmCollator collator, int batchSize, int seed, int stream)
    {
        _examples = examples ?? throw new ArgumentNullException(nameof(examples));
        _collator = collator ?? throw new ArgumentNullException(nameof(collator));
        if (batchSize < 1) throw new ConfigException($"batch size must be >= 1 (got {batchSize}).");
        if (examples.Count < batchSize)
            throw new DataException($"{name}: the corpus gives {examples.Count} sequence(s), fewer than one batch of {batchSize}; " +
                                    "add text, lower training.batch_size or data.block_size.");
        BatchSize = batchSize;
        BatchesPerEpoch = examples.Count / batchSize;
        _seed = seed;
        _stream = stream;
    }

    /// <summary>Sequences per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Batches in one pass over the examples.</summary>
    public long BatchesPerEpoch { get; }

    /// <summary>Batch <paramref name="globalIndex"/>.</summary>
    public MlmBatch Batch(long globalIndex)
    {
        if (globalIndex < 0) throw new ArgumentOutOfRangeException(nameof(globalIndex), globalIndex, "batch indices count from 0.");
        var epoch = checked((int)(globalIndex / BatchesPerEpoch));
        var within = (int)(globalIndex % BatchesPerEpoch);
        var order = Order(epoch);
        var items = new MlmExample[BatchSize];
        for (var i = 0; i < BatchSize; i++) items[i] = _examples.Get(order[within * BatchSize + i]);
        return _collator.Collate(items, RandomStreams.For(_seed, _stream, globalIndex));
    }

    private int[] Order(int epoch)
    {
        if (epoch == _orderEpoch) return _order;
        var order = new int[_examples.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        // Fisher–Yates written out over a seeded System.Random, so the order cannot change with the runtime.
        var random = RandomStreams.For(_seed, _stream, 1_000_003L, epoch);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        _order = order;
        _orderEpoch = epoch;
        return order;
    }
}

/// <summary>One micro-batch of pretraining: the batch to train on, where it came from, and (weighted rehearsal) a general batch.</summary>
public sealed record PretrainingBatch(MlmBatch Batch, RehearsalCorpus Source, MlmBatch? General = null)
{
    /// <summary>Non-padding tokens processed (both batches).</summary>
    public long Tokens => Batch.RealTokens + (General?.RealTokens ?? 0);
}

/// <summary>
/// The training loop's batch source for pretraining: domain batches, optionally interleaved with
/// general batches at a fixed ratio (<see cref="RehearsalSchedule"/>), or each paired with a general
/// batch for loss-weighted rehearsal. The position is the global micro-batch counter; every batch is
/// a pure function of it, so <see cref="RestorePosition"/> continues exactly.
/// </summary>
public sealed class PretrainingBatchSource : IBatchSource<PretrainingBatch>
{
    private readonly PretrainingBatchSequence _domain;
    private readonly PretrainingBatchSequence? _general;
    private readonly RehearsalSchedule? _mix;
    private readonly bool _weighted;
    private readonly int _seed;
    private int _epoch = -1;
    private long _next;

    /// <param name="domain">Domain (training corpus) batches.</param>
    /// <param name="general">General batches, for <paramref name="mix"/> or <paramref name="weighted"/> rehearsal.</param>
    /// <param name="mix">Interleave general batches by this schedule.</param>
    /// <param name="weighted">Pair every domain batch with a general batch (the loss weighs it by α).</param>
    public PretrainingBatchSource(PretrainingBatchSequence domain, int seed, PretrainingBatchSequence? general = null,
        RehearsalSchedule? mix = null, bool weighted = false)
    {
        _domain = domain ?? throw new ArgumentNullException(nameof(domain));
        if ((mix is not null || weighted) && general is null) throw new ArgumentException("rehearsal needs general batches.", nameof(general));
        if (mix is not null && weighted) throw new ConfigException("choose one rehearsal form: mixing or loss weighting.");
        _general = general;
        _mix = mix;
        _weighted = weighted;
        _seed = seed;
        // A mixed epoch holds one pass of domain batches plus the general batches interleaved with them.
        BatchesPerEpoch = mix is null ? domain.BatchesPerEpoch
            : (domain.BatchesPerEpoch * mix.Period + mix.DomainPerPeriod - 1) / mix.DomainPerPeriod;
    }

    /// <inheritdoc />
    public long? BatchesPerEpoch { get; }

    /// <summary>Micro-batches handed out so far (over all epochs).</summary>
    public long Position => _next;

    /// <inheritdoc />
    public void StartEpoch(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epochs count from 0.");
        _epoch = epoch;
        _next = epoch * BatchesPerEpoch!.Value;
    }

    /// <inheritdoc />
    public bool TryNext([MaybeNullWhen(false)] out PretrainingBatch batch)
    {
        if (_epoch < 0) throw new InvalidOperationException("call StartEpoch (or RestorePosition) before asking for batches.");
        batch = null;
        if (_next >= (_epoch + 1) * BatchesPerEpoch!.Value) return false;
        batch = At(_next);
        _next++;
        return true;
    }

    /// <summary>Micro-batch <paramref name="k"/> of the whole run.</summary>
    public PretrainingBatch At(long k)
    {
        if (_mix is not null)
        {
            var (domainUsed, generalUsed) = _mix.CountsBefore(k);
            return _mix.SourceAt(k) == RehearsalCorpus.General
                ? new PretrainingBatch(_general!.Batch(generalUsed), RehearsalCorpus.General)
                : new PretrainingBatch(_domain.Batch(domainUsed), RehearsalCorpus.Domain);
        }
        return new PretrainingBatch(_domain.Batch(k), RehearsalCorpus.Domain, _weighted ? _general!.Batch(k) : null);
    }

    /// <inheritdoc />
    public JsonNode SavePosition() => new JsonObject { ["epoch"] = _epoch, ["next"] = _next, ["seed"] = _seed, ["batches_per_epoch"] = BatchesPerEpoch };

    /// <inheritdoc />
    public void RestorePosition(JsonNode position)
    {
        ArgumentNullException.ThrowIfNull(position);
        position = JsonNode.Parse(position.ToJsonString())!;
        int epoch, seed;
        long next, perEpoch;
        try
        {
            epoch = position["epoch"]!.GetValue<int>();
            next = position["next"]!.GetValue<long>();
            seed = position["seed"]!.GetValue<int>();
            perEpoch = position["batches_per_epoch"]!.GetValue<long>();
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"data position {position.ToJsonString()} was not written by a pretraining run (expected epoch, next, seed, batches_per_epoch).", e);
        }
        if (seed != _seed || perEpoch != BatchesPerEpoch)
            throw new CheckpointException($"data position was saved with seed {seed} and {perEpoch} batches per epoch, but this run has seed {_seed} and {BatchesPerEpoch}; " +
                                          "resume with the same recipe and corpus.");
        _epoch = epoch;
        _next = next;
    }
}
