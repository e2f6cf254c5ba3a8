using Acclimate.Errors;
using Acclimate.Pretraining;

namespace Acclimate.Tests.Pretraining;

/// <summary>NSP and SOP pairs: layout, labels that mean what HF's mean, truncation, rates.</summary>
public sealed class SentencePairBuilderTests
{
    private const int Cls = 1, Sep = 2;

    // Token t = 100000 + doc·1000 + segment·10 + k, so every token says where it came from.
    private static int[][][] Corpus(int documents, int segments, int segmentLength) =>
        Enumerable.Range(0, documents).Select(d =>
            Enumerable.Range(0, segments).Select(s =>
                Enumerable.Range(0, segmentLength).Select(k => 100000 + d * 1000 + s * 10 + k).ToArray()).ToArray()).ToArray();

    private static int DocOf(int token) => (token - 100000) / 1000;
    private static int OrderOf(int token) => (token - 100000) % 1000;   // segment·10 + k: increases along a document

    private static (int[] A, int[] B) Split(SentencePairExample e)
    {
        var firstSep = Array.IndexOf(e.InputIds, Sep);
        return (e.InputIds[1..firstSep], e.InputIds[(firstSep + 1)..^1]);
    }

    [Fact]
    public void TruncationCutsTheLongerSegmentAndBOnTies()
    {
        var a = Enumerable.Range(0, 10).ToList();
        var b = Enumerable.Range(100, 4).ToList();
        SentencePairBuilder.TruncatePair(a, b, 8, new Random(0));
        Assert.Equal(4, a.Count);
        Assert.Equal(4, b.Count);
        // What is left of A is a contiguous run of the original (tokens go from the ends only).
        Assert.Equal(Enumerable.Range(a[0], 4), a);

        var tieA = new List<int> { 1, 2, 3 };
        var tieB = new List<int> { 4, 5, 6 };
        SentencePairBuilder.TruncatePair(tieA, tieB, 5, new Random(0));
        Assert.Equal(new[] { 1, 2, 3 }, tieA);
        Assert.Equal(2, tieB.Count);

        // Front and back are both used: over many draws the first token of A is dropped about half the time.
        var frontDrops = 0;
        var rng = new Random(5);
        for (var i = 0; i < 1000; i++)
        {
            var x = new List<int> { 0, 1, 2 };
            SentencePairBuilder.TruncatePair(x, new List<int> { 9 }, 3, rng);
            if (x[0] == 1) frontDrops++;
        }
        // Binomial(1000, 0.5): sd = 15.8; tolerance 5 sd ≈ 80.
        Assert.InRange(frontDrops, 420, 580);
    }

    [Fact]
    public void AssembleLaysOutClsASepBSepWithSegmentIds()
    {
        var e = SentencePairBuilder.Assemble(new[] { 7, 8 }, new[] { 9, 10, 11 }, Cls, Sep, 1, 3);
        Assert.Equal(new[] { Cls, 7, 8, Sep, 9, 10, 11, Sep }, e.InputIds);
        Assert.Equal(new[] { 0, 0, 0, 0, 1, 1, 1, 1 }, e.TokenTypeIds);
        Assert.Equal(1, e.Label);
        var m = e.ToMlmExample(42);
        Assert.Equal(e.TokenTypeIds, m.TokenTypeIds);
        Assert.Equal(1, m.SentenceLabel);
        Assert.Equal(42, m.ExampleIndex);
    }

    [Fact]
    public void NspLabelZeroIsTheActualContinuationAndOneIsAnotherDocument()
    {
        var options = new SentencePairOptions(SentencePairTask.NextSentencePrediction, maxLength: 40, Cls, Sep);
        var builder = new SentencePairBuilder(options, Corpus(30, 12, 5));
        var examples = builder.Examples(new Random(1)).ToList();
        Assert.Contains(examples, e => e.Label == 0);
        Assert.Contains(examples, e => e.Label == 1);
        foreach (var e in examples)
        {
            Assert.True(e.InputIds.Length <= 40);
            Assert.Equal(Cls, e.InputIds[0]);
            Assert.Equal(Sep, e.InputIds[^1]);
            var (a, b) = Split(e);
            Assert.NotEmpty(a);
            Assert.NotEmpty(b);
            Assert.All(a, t => Assert.Equal(e.DocumentIndex, DocOf(t)));
            if (e.Label == 0)
            {
                Assert.All(b, t => Assert.Equal(e.DocumentIndex, DocOf(t)));
                Assert.True(OrderOf(b[0]) > OrderOf(a[^1]), "B must come after A in the document");
            }
            else Assert.All(b, t => Assert.NotEqual(e.DocumentIndex, DocOf(t)));
        }
    }

    [Fact]
    public void NspDrawsRandomNextHalfTheTime()
    {
        // Each document's first pair comes from a chunk of 4 segments, so it is random-next with
        // probability exactly 0.5 (later pairs can be forced by a one-segment chunk, so only first
        // pairs are counted). 2000 documents: sd = sqrt(0.25/2000) = 0.0112; tolerance 5 sd = 0.056.
        var options = new SentencePairOptions(SentencePairTask.NextSentencePrediction, maxLength: 64, Cls, Sep) { ShortSequenceProbability = 0 };
        var builder = new SentencePairBuilder(options, Corpus(2000, 4, 3));
        var rng = new Random(2);
        var random = Enumerable.Range(0, 2000).Count(d => builder.ExamplesFromDocument(d, rng).First().Label == 1);
        Assert.InRange(random / 2000.0, 0.5 - 0.056, 0.5 + 0.056);
    }

    [Fact]
    public void SopLabelOneMeansSwappedConsecutiveSegments()
    {
        // 3000 documents of 4 three-token segments, max length 64: one chunk (one pair) per document.
        // Swapped share ~ Binomial(3000, 0.5)/3000: sd = 0.0091; tolerance 5 sd = 0.046.
        var options = new SentencePairOptions(SentencePairTask.SentenceOrderPrediction, maxLength: 64, Cls, Sep) { ShortSequenceProbability = 0 };
        var builder = new SentencePairBuilder(options, Corpus(3000, 4, 3));
        var examples = builder.Examples(new Random(3)).ToList();
        Assert.Equal(3000, examples.Count);
        foreach (var e in examples)
        {
            var (a, b) = Split(e);
            Assert.All(a.Concat(b), t => Assert.Equal(e.DocumentIndex, DocOf(t)));
            var (first, second) = e.Label == 0 ? (a, b) : (b, a);
            // Consecutive: the two halves together are the whole chunk, in document order.
            var joined = first.Concat(second).Select(OrderOf).ToArray();
            Assert.Equal(joined.OrderBy(x => x), joined);
            Assert.Equal(12, joined.Length);
        }
        var swapped = examples.Count(e => e.Label == 1) / 3000.0;
        Assert.InRange(swapped, 0.5 - 0.046, 0.5 + 0.046);
    }

    [Fact]
    public void LongSegmentsAreTruncatedToTheMaximumLength()
    {
        foreach (var task in new[] { SentencePairTask.NextSentencePrediction, SentencePairTask.SentenceOrderPrediction })
        {
            var options = new SentencePairOptions(task, maxLength: 16, Cls, Sep);
            var builder = new SentencePairBuilder(options, Corpus(5, 6, 9));
            var examples = builder.Examples(new Random(4)).ToList();
            Assert.NotEmpty(examples);
            Assert.All(examples, e => Assert.InRange(e.InputIds.Length, 5, 16));
            Assert.Contains(examples, e => e.InputIds.Length == 16);
        }
    }

    [Fact]
    public void SameGeneratorSeedGivesTheSamePairs()
    {
        var options = new SentencePairOptions(SentencePairTask.NextSentencePrediction, maxLength: 32, Cls, Sep);
        var builder = new SentencePairBuilder(options, Corpus(10, 8, 4));
        var a = builder.Examples(new Random(9)).ToList();
        var b = builder.Examples(new Random(9)).ToList();
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].InputIds, b[i].InputIds);
            Assert.Equal(a[i].Label, b[i].Label);
        }
    }

    [Fact]
    public void InvalidSetupsAreRejected()
    {
        var nsp = new SentencePairOptions(SentencePairTask.NextSentencePrediction, maxLength: 32, Cls, Sep);
        Assert.Throws<DataException>(() => new SentencePairBuilder(nsp, Corpus(1, 5, 3)));
        Assert.Throws<ConfigException>(() => new SentencePairOptions(SentencePairTask.SentenceOrderPrediction, maxLength: 4, Cls, Sep));
        Assert.Throws<ConfigException>(() => new SentencePairBuilder(nsp with { NegativeProbability = 1.5 }, Corpus(2, 5, 3)));
    }
}
