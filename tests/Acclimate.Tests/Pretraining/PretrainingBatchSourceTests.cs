using System.Text.Json.Nodes;
using Acclimate.Continual;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Pretraining;

/// <summary>The pretraining batch source (epochs, rehearsal mixing and weighting, position restore) and the fixed-mask held-out evaluation.</summary>
public sealed class PretrainingBatchSourceTests
{
    private const int Vocab = 40;
    private static readonly SpecialTokenIds Specials = new(pad: 0, mask: 4, cls: 1, sep: 2);

    public PretrainingBatchSourceTests() => TorchRuntime.EnsureInitialized();

    /// <summary>Examples whose first content token encodes (set, index), so a batch reveals where it came from.</summary>
    private sealed class Tagged : IPretrainingExamples
    {
        private readonly int _set;
        public Tagged(int set, int count) { _set = set; Count = count; }
        public int Count { get; }
        public MlmExample Get(int index) => new(new[] { 1, 5 + _set, 10 + index % 30, 7, 8, 9, 2 }) { ExampleIndex = index };
    }

    private static MlmCollator Collator() => new(new MlmMaskingOptions(), Specials, Vocab);

    private static long[] Originals(MlmBatch batch) => batch.OriginalInputIds.data<long>().ToArray();

    private static int SetOf(MlmBatch batch) => (int)(batch.OriginalInputIds[0, 1].item<long>() - 5);

    [Fact]
    public void EpochsArePermutationsWithoutTheRaggedTailAndDifferPerEpoch()
    {
        var sequence = new PretrainingBatchSequence("test", new Tagged(0, 10), Collator(), batchSize: 3, seed: 1, stream: 0);
        Assert.Equal(3, sequence.BatchesPerEpoch);
        var source = new PretrainingBatchSource(sequence, seed: 1);
        var seen = new List<long>();
        List<long> Epoch(int e)
        {
            source.StartEpoch(e);
            var ids = new List<long>();
            while (source.TryNext(out var batch))
            {
                using (batch.Batch) for (var r = 0; r < 3; r++) ids.Add(batch.Batch.OriginalInputIds[r, 2].item<long>() - 10);
            }
            return ids;
        }
        var first = Epoch(0);
        var second = Epoch(1);
        Assert.Equal(9, first.Count);
        Assert.Equal(9, first.Distinct().Count());   // no example twice in an epoch
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void MixingFollowsTheRatioAndRestoringThePositionContinuesExactly()
    {
        var domain = new PretrainingBatchSequence("domain", new Tagged(0, 20), Collator(), 2, seed: 5, stream: 0);
        var general = new PretrainingBatchSequence("general", new Tagged(1, 20), Collator(), 2, seed: 5, stream: 1);
        var mix = new RehearsalSchedule(3, 1);
        var source = new PretrainingBatchSource(domain, 5, general, mix);
        // 10 domain batches per epoch at 3:1 → ceil(10·4/3) = 14 micro-batches.
        Assert.Equal(14, source.BatchesPerEpoch);
        source.StartEpoch(0);
        var sources = new List<RehearsalCorpus>();
        var batches = new List<long[]>();
        JsonNode? saved = null;
        for (var k = 0; k < 12; k++)
        {
            Assert.True(source.TryNext(out var b));
            Assert.Equal(b.Source == RehearsalCorpus.General ? 1 : 0, SetOf(b.Batch));
            sources.Add(b.Source);
            batches.Add(Originals(b.Batch).Concat(b.Batch.InputIds.data<long>().ToArray()).ToArray());
            if (k == 6) saved = source.SavePosition();
        }
        Assert.Equal(3, sources.Count(s => s == RehearsalCorpus.General));

        var fresh = new PretrainingBatchSource(
            new PretrainingBatchSequence("domain", new Tagged(0, 20), Collator(), 2, seed: 5, stream: 0), 5,
            new PretrainingBatchSequence("general", new Tagged(1, 20), Collator(), 2, seed: 5, stream: 1), mix);
        fresh.RestorePosition(saved!);
        for (var k = 7; k < 12; k++)
        {
            Assert.True(fresh.TryNext(out var b));
            Assert.Equal(sources[k], b.Source);
            // Same examples and the same masks (masking is a function of the batch index).
            Assert.Equal(batches[k], Originals(b.Batch).Concat(b.Batch.InputIds.data<long>().ToArray()).ToArray());
        }

        var otherSeed = new PretrainingBatchSource(domain, 6, general, mix);
        Assert.Throws<CheckpointException>(() => otherSeed.RestorePosition(saved!));
    }

    [Fact]
    public void MixingTakesEachSourcesBatchesInOrderAndIsAFunctionOfTheStep()
    {
        PretrainingBatchSequence Domain() => new("domain", new Tagged(0, 14), Collator(), 2, seed: 5, stream: 0);
        PretrainingBatchSequence General() => new("general", new Tagged(1, 8), Collator(), 2, seed: 5, stream: 1);
        long[] Content(MlmBatch b) => Originals(b).Concat(b.InputIds.data<long>().ToArray()).ToArray();
        var mix = new RehearsalSchedule(3, 2);
        var source = new PretrainingBatchSource(Domain(), 5, General(), mix);
        var domain = Domain();
        var general = General();
        // 7 domain and 4 general batches per pass: 40 steps wrap both sources into later passes.
        var pattern = new System.Text.StringBuilder();
        var all = new List<long[]>();
        long d = 0, g = 0;
        for (long k = 0; k < 40; k++)
        {
            var b = source.At(k);
            pattern.Append(b.Source == RehearsalCorpus.General ? 'G' : 'D');
            Assert.Null(b.General);
            // Each source's batches come in order, none skipped or repeated: the domain batch at a step is
            // domain batch (domain steps before it), likewise for general.
            using var expected = b.Source == RehearsalCorpus.General ? general.Batch(g++) : domain.Batch(d++);
            using (b.Batch)
            {
                Assert.Equal(b.Source == RehearsalCorpus.General ? 1 : 0, SetOf(b.Batch));
                Assert.Equal(Content(expected), Content(b.Batch));
                all.Add(Content(b.Batch));
            }
        }
        Assert.Equal("DDGDGDDGDGDDGDG", pattern.ToString(0, 15));
        Assert.Equal((24L, 16L), (d, g));

        // A fresh source asked from step 23 on gives exactly what the first one gave (no state but the step).
        var resumed = new PretrainingBatchSource(Domain(), 5, General(), mix);
        for (long k = 23; k < 40; k++)
        {
            var b = resumed.At(k);
            using (b.Batch) Assert.Equal(all[(int)k], Content(b.Batch));
        }
    }

    [Theory]
    [InlineData(0.05, 30)]
    [InlineData(0.2, 7)]
    [InlineData(0.37, 13)]
    public void MixingByShareRealisesTheShareAndRestoringThePositionContinuesExactly(double share, int stopAt)
    {
        PretrainingBatchSequence Domain() => new("domain", new Tagged(0, 100), Collator(), 2, seed: 5, stream: 0);
        PretrainingBatchSequence General() => new("general", new Tagged(1, 12), Collator(), 2, seed: 5, stream: 1);
        long[] Content(MlmBatch b) => Originals(b).Concat(b.InputIds.data<long>().ToArray()).ToArray();
        var mix = RehearsalSchedule.FromShare(share);
        var source = new PretrainingBatchSource(Domain(), 5, General(), mix);
        source.StartEpoch(0);
        var steps = (int)source.BatchesPerEpoch!.Value;
        var all = new List<(RehearsalCorpus, long[])>();
        JsonNode? saved = null;
        for (var k = 0; k < steps; k++)
        {
            Assert.True(source.TryNext(out var b));
            using (b.Batch)
            {
                Assert.Equal(b.Source == RehearsalCorpus.General ? 1 : 0, SetOf(b.Batch));
                all.Add((b.Source, Content(b.Batch)));
            }
            if (k == stopAt - 1) saved = source.SavePosition();
        }
        var general = all.Count(x => x.Item1 == RehearsalCorpus.General);
        Assert.True(general > 0 && Math.Abs(general - steps * share) <= 1.0, $"{general} general batches in {steps}, share {share}");

        // A fresh source restored from the saved position hands out the same batches (sources, examples, masks).
        var fresh = new PretrainingBatchSource(Domain(), 5, General(), RehearsalSchedule.FromShare(share));
        fresh.RestorePosition(saved!);
        for (var k = stopAt; k < steps; k++)
        {
            Assert.True(fresh.TryNext(out var b));
            using (b.Batch)
            {
                Assert.Equal(all[k].Item1, b.Source);
                Assert.Equal(all[k].Item2, Content(b.Batch));
            }
        }
        Assert.False(fresh.TryNext(out _));
    }

    [Fact]
    public void WeightedRehearsalPairsEveryDomainBatchWithAGeneralBatch()
    {
        var domain = new PretrainingBatchSequence("domain", new Tagged(0, 8), Collator(), 2, seed: 5, stream: 0);
        var general = new PretrainingBatchSequence("general", new Tagged(1, 8), Collator(), 2, seed: 5, stream: 1);
        var source = new PretrainingBatchSource(domain, 5, general, weighted: true);
        source.StartEpoch(0);
        Assert.True(source.TryNext(out var b));
        Assert.Equal(0, SetOf(b.Batch));
        Assert.Equal(1, SetOf(b.General!));
        Assert.Equal(2 * 2 * 7, b.Tokens);
    }

    [Fact]
    public void HeldOutScoreUsesFixedMasksAndEqualsTheFullLogitsLoss()
    {
        manual_seed(11);
        var config = EncoderConfig.Create(ModelType.Bert, Vocab, 16, 2, 2, 32, maxPositions: 32);
        using var model = (MaskedLmModel)ModelFactory.Create(config, ModelTask.MaskedLM);
        var examples = new Tagged(0, 5);
        var evaluation = new MlmEvaluation(examples, new MlmMaskingOptions { MaskProbability = 0.4 }, Specials, Vocab, batchSize: 5);
        model.train();
        var first = evaluation.Score(model);
        var again = evaluation.Score(model);
        Assert.True(model.training, "the model's mode must be restored");
        Assert.Equal(first, again);   // dropout off, same masks → the same number
        Assert.True(first.MaskedTokens > 0);

        // By hand: the same static masks through HF's full-logits MLM loss (mean CE over labelled positions).
        var collator = new MlmCollator(new MlmMaskingOptions { MaskProbability = 0.4, Mode = MaskingMode.Static, StaticSeed = MlmEvaluation.MaskSeed }, Specials, Vocab);
        using var batch = collator.Collate(Enumerable.Range(0, 5).Select(examples.Get).ToList(), null);
        model.eval();
        using (no_grad())
        {
            var outputs = model.Forward(batch.ToModelInputs());
            Assert.Equal(outputs.Loss!.item<float>(), first.Loss, 5);
        }
        Assert.Equal(Math.Exp(first.Loss), first.Perplexity, 10);
    }

    [Fact]
    public void ACorpusSmallerThanOneBatchIsRefused()
    {
        var e = Assert.Throws<DataException>(() => new PretrainingBatchSequence("data.train x.txt", new Tagged(0, 3), Collator(), 4, 1, 0));
        Assert.Contains("data.train x.txt: the corpus gives 3 sequence(s), fewer than one batch of 4", e.Message);
    }
}
