using Acclimate.Errors;
using Acclimate.Pretraining;
using Acclimate.Runtime;

namespace Acclimate.Tests.Pretraining;

/// <summary>Token-level MLM masking: what may be selected, what labels say, the 15% / 80-10-10 rates, determinism.</summary>
public sealed class MlmCollatorTests
{
    // Vocabulary of 30 ids: 0 pad, 1 cls, 2 sep, 3 mask, 4 unk are special; 5..29 are ordinary.
    private const int Vocab = 30;
    private static readonly SpecialTokenIds Specials = new(pad: 0, mask: 3, cls: 1, sep: 2, others: new[] { 4 });

    public MlmCollatorTests() => TorchRuntime.EnsureInitialized();

    private static int[] Sequence(Random r, int length)
    {
        var ids = new int[length];
        ids[0] = 1;
        for (var i = 1; i < length - 1; i++) ids[i] = r.Next(5, Vocab);
        ids[length - 1] = 2;
        if (length > 6) ids[length / 2] = 4;    // an unk in the middle must never be selected either
        return ids;
    }

    [Fact]
    public void SpecialTokensAndPaddingAreNeverSelectedAndLabelsFollowActions()
    {
        var collator = new MlmCollator(new MlmMaskingOptions { MaskProbability = 0.5 }, Specials, Vocab);
        var data = new Random(1);
        var rng = new Random(2);
        for (var round = 0; round < 50; round++)
        {
            var examples = Enumerable.Range(0, 4).Select(_ => new MlmExample(Sequence(data, data.Next(3, 20)))).ToArray();
            using var batch = collator.Collate(examples, rng);
            var ids = batch.InputIds.data<long>().ToArray();
            var original = batch.OriginalInputIds.data<long>().ToArray();
            var labels = batch.Labels.data<long>().ToArray();
            var attention = batch.AttentionMask.data<long>().ToArray();
            var length = (int)batch.SequenceLength;
            Assert.Equal(examples.Max(e => e.InputIds.Count), length);
            for (var b = 0; b < examples.Length; b++)
                for (var t = 0; t < length; t++)
                {
                    var k = b * length + t;
                    var real = t < examples[b].InputIds.Count;
                    Assert.Equal(real ? 1 : 0, attention[k]);
                    Assert.Equal(real ? examples[b].InputIds[t] : Specials.Pad, original[k]);
                    if (!real || Specials.IsSpecial((int)original[k]))
                    {
                        Assert.Equal(MlmCollator.IgnoreIndex, labels[k]);
                        Assert.Equal(original[k], ids[k]);
                        continue;
                    }
                    if (labels[k] == MlmCollator.IgnoreIndex) Assert.Equal(original[k], ids[k]);
                    else
                    {
                        Assert.Equal(original[k], labels[k]);
                        Assert.True(ids[k] == Specials.Mask || !Specials.IsSpecial((int)ids[k]), $"replacement {ids[k]} is special");
                    }
                }
            // Masked positions/labels are exactly the labelled positions, in row-major order.
            var expectedPositions = Enumerable.Range(0, labels.Length).Where(k => labels[k] != MlmCollator.IgnoreIndex).Select(k => (long)k).ToArray();
            Assert.Equal(expectedPositions, batch.MaskedPositions.data<long>().ToArray());
            Assert.Equal(expectedPositions.Select(k => labels[k]).ToArray(), batch.MaskedLabels.data<long>().ToArray());
        }
    }

    [Fact]
    public void SelectionAndReplacementRatesMatchTheOptions()
    {
        // 4000 sequences × 25 maskable tokens = n = 100,000 candidates.
        // Selected share ~ Binomial(n, 0.15)/n: sd = sqrt(0.15·0.85/n) = 0.00113; tolerance 5 sd = 0.0056.
        // Of the ≈15,000 selected: mask share sd = sqrt(0.8·0.2/15000) = 0.0033, tolerance 5 sd = 0.016;
        // random share sd = sqrt(0.1·0.9/15000) = 0.0024, tolerance 5 sd = 0.012 (same for keep).
        var collator = new MlmCollator(new MlmMaskingOptions(), Specials, Vocab);
        var rng = new Random(7);
        var data = new Random(8);
        long candidates = 0, selected = 0, masked = 0, random = 0, kept = 0;
        var drawn = new int[Vocab];
        for (var s = 0; s < 4000; s++)
        {
            var ids = new int[27];
            ids[0] = 1; ids[26] = 2;
            for (var i = 1; i < 26; i++) ids[i] = data.Next(5, Vocab);
            var m = collator.MaskSequence(ids, rng);
            candidates += 25;
            for (var i = 0; i < ids.Length; i++)
            {
                switch (m.Actions[i])
                {
                    case MaskAction.Mask: masked++; Assert.Equal(Specials.Mask, m.InputIds[i]); break;
                    case MaskAction.Random: random++; drawn[m.InputIds[i]]++; break;
                    case MaskAction.Keep: kept++; Assert.Equal(ids[i], m.InputIds[i]); break;
                }
            }
        }
        selected = masked + random + kept;
        Assert.InRange((double)selected / candidates, 0.15 - 0.0056, 0.15 + 0.0056);
        Assert.InRange((double)masked / selected, 0.8 - 0.016, 0.8 + 0.016);
        Assert.InRange((double)random / selected, 0.1 - 0.012, 0.1 + 0.012);
        Assert.InRange((double)kept / selected, 0.1 - 0.012, 0.1 + 0.012);
        // Random replacements come from every non-special id and never a special one
        // (≈1500 draws over 25 ids: each expected ≈60 times, so a zero count would be a bug).
        for (var id = 0; id < Vocab; id++)
        {
            if (Specials.IsSpecial(id)) Assert.Equal(0, drawn[id]);
            else Assert.True(drawn[id] > 0, $"non-special id {id} was never drawn as a random replacement");
        }
    }

    [Fact]
    public void ExactCountSelectsRoundedFifteenPercentOfMaskableTokens()
    {
        var collator = new MlmCollator(new MlmMaskingOptions { Selection = MaskSelection.ExactCount }, Specials, Vocab);
        var rng = new Random(3);
        foreach (var (maskable, expected) in new[] { (1, 1), (3, 1), (10, 2), (20, 3), (30, 4), (100, 15) })
        {
            var ids = new[] { 1 }.Concat(Enumerable.Repeat(7, maskable)).Append(2).ToArray();
            Assert.Equal(expected, collator.MaskSequence(ids, rng).SelectedCount);
        }
        var capped = new MlmCollator(new MlmMaskingOptions { Selection = MaskSelection.ExactCount, MaxPredictionsPerSequence = 5 }, Specials, Vocab);
        Assert.Equal(5, capped.MaskSequence(Enumerable.Repeat(9, 100).ToArray(), rng).SelectedCount);
    }

    [Fact]
    public void SameSeedGivesTheSameBatchAndDynamicMaskingChangesPerCall()
    {
        var collator = new MlmCollator(new MlmMaskingOptions(), Specials, Vocab);
        var data = new Random(5);
        var examples = Enumerable.Range(0, 8).Select(_ => new MlmExample(Sequence(data, 40))).ToArray();
        using var a = collator.Collate(examples, new Random(42));
        using var b = collator.Collate(examples, new Random(42));
        Assert.True(TensorAssert.BitEqual(a.InputIds, b.InputIds));
        Assert.True(TensorAssert.BitEqual(a.Labels, b.Labels));

        // The same generator, used again, gives a fresh mask (dynamic masking): 8×37 candidates,
        // the chance that two independent masks coincide is far below 1e-20.
        var rng = new Random(42);
        using var first = collator.Collate(examples, rng);
        using var second = collator.Collate(examples, rng);
        Assert.False(TensorAssert.BitEqual(first.Labels, second.Labels));
    }

    [Fact]
    public void StaticMaskingDependsOnlyOnTheExampleIndexAndSeed()
    {
        var options = new MlmMaskingOptions { Mode = MaskingMode.Static, StaticSeed = 99 };
        var collator = new MlmCollator(options, Specials, Vocab);
        var data = new Random(6);
        var seqs = Enumerable.Range(0, 6).Select(_ => Sequence(data, 40)).ToArray();
        MlmExample[] Epoch(IEnumerable<int> order) => order.Select(i => new MlmExample(seqs[i]) { ExampleIndex = i }).ToArray();

        using var epoch1 = collator.Collate(Epoch(new[] { 0, 1, 2, 3, 4, 5 }), new Random(1));
        using var epoch2 = collator.Collate(Epoch(new[] { 5, 4, 3, 2, 1, 0 }), new Random(2));   // other order, other generator
        var length = (int)epoch1.SequenceLength;
        var labels1 = epoch1.Labels.data<long>().ToArray();
        var labels2 = epoch2.Labels.data<long>().ToArray();
        for (var i = 0; i < 6; i++)
            Assert.Equal(labels1.Skip(i * length).Take(length), labels2.Skip((5 - i) * length).Take(length));

        // Another seed gives another mask.
        var other = new MlmCollator(options with { StaticSeed = 100 }, Specials, Vocab);
        using var reseeded = other.Collate(Epoch(new[] { 0, 1, 2, 3, 4, 5 }), null);
        Assert.False(TensorAssert.BitEqual(epoch1.Labels, reseeded.Labels));

        var e = Assert.Throws<DataException>(() => collator.Collate(new[] { new MlmExample(seqs[0]) }, null));
        Assert.Contains("example index", e.Message);
    }

    [Fact]
    public void PaddingTokenTypesAndSentenceLabelsAreCarried()
    {
        var collator = new MlmCollator(new MlmMaskingOptions { PadToMultipleOf = 8 }, Specials, Vocab);
        var examples = new[]
        {
            new MlmExample(new[] { 1, 5, 2, 6, 2 }) { TokenTypeIds = new[] { 0, 0, 0, 1, 1 }, SentenceLabel = 1 },
            new MlmExample(new[] { 1, 7, 8, 2, 9, 10, 11, 2, 12, 2 }) { TokenTypeIds = new[] { 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }, SentenceLabel = 0 },
        };
        using var batch = collator.Collate(examples, new Random(0));
        Assert.Equal(new long[] { 2, 16 }, batch.InputIds.shape);
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, batch.TokenTypeIds!.data<long>().Take(16).ToArray());
        Assert.Equal(new long[] { 1, 0 }, batch.SentenceLabels!.data<long>().ToArray());
        Assert.Equal(10, batch.AttentionMask.data<long>().Skip(16).Sum());

        var mixed = new[] { examples[0], new MlmExample(new[] { 1, 5, 2 }) };
        Assert.Throws<DataException>(() => collator.Collate(mixed, new Random(0)));
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var collator = new MlmCollator(new MlmMaskingOptions(), Specials, Vocab);
        var e = Assert.Throws<DataException>(() => collator.MaskSequence(new[] { 1, 30, 2 }, new Random(0)));
        Assert.Contains("token id 30 at position 1", e.Message);
        Assert.Throws<ConfigException>(() => new MlmCollator(new MlmMaskingOptions { MaskProbability = 0 }, Specials, Vocab));
        Assert.Throws<ConfigException>(() => new MlmCollator(new MlmMaskingOptions { MaskTokenFraction = 0.9, RandomTokenFraction = 0.2 }, Specials, Vocab));
        Assert.Throws<ConfigException>(() => new MlmCollator(new MlmMaskingOptions(), Specials, vocabularySize: 3));
    }

    [Fact]
    public void DerivedSeedsDifferPerPositionAndRepeat()
    {
        Assert.Equal(RandomStreams.Derive(1, 2, 3), RandomStreams.Derive(1, 2, 3));
        var seeds = new HashSet<int>();
        for (var step = 0; step < 1000; step++) seeds.Add(RandomStreams.Derive(17, step));
        Assert.Equal(1000, seeds.Count);
        Assert.NotEqual(RandomStreams.Derive(1, 2), RandomStreams.Derive(2, 1));
    }
}
