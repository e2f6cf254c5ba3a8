using Acclimate.Data.Corpora;

namespace Acclimate.Tests.Data.Corpora;

public sealed class DocumentSplitTests
{
    [Fact]
    public void HashSplitIsDeterministicNearTheFractionAndDependsOnTheSalt()
    {
        var ids = Enumerable.Range(0, 20_000).Select(i => $"corpus.txt:{i}").ToList();
        var heldOut = ids.Where(id => DocumentSplit.IsHeldOut(id, 0.1)).ToList();
        Assert.InRange(heldOut.Count, 1800, 2200);
        Assert.Equal(heldOut, ids.Where(id => DocumentSplit.IsHeldOut(id, 0.1)));
        var salted = ids.Where(id => DocumentSplit.IsHeldOut(id, 0.1, salt: "run-2")).ToList();
        Assert.InRange(heldOut.Intersect(salted).Count(), 100, 300); // independent splits overlap ~ 0.1 × 0.1
        Assert.DoesNotContain(ids, id => DocumentSplit.IsHeldOut(id, 0.0));
        Assert.Equal(ids.Count, ids.Count(id => DocumentSplit.IsHeldOut(id, 1.0)));
    }

    [Fact]
    public void HashSplitIsPinnedSoItStaysTheSameAcrossVersions()
    {
        // SHA-256("\n" + id) computed with Python's hashlib: at fraction 0.5 a document is held out exactly
        // when the first hash byte is below 0x80. A change here would silently reshuffle everyone's held-out set.
        var expected = new[] { true, false, true, false, false, true, false, false, false, false, true, false };
        Assert.Equal(expected, Enumerable.Range(0, 12).Select(i => DocumentSplit.IsHeldOut($"doc-{i}", 0.5)));
    }

    [Fact]
    public void SelectStreamsTheTwoComplementarySides()
    {
        var docs = Enumerable.Range(0, 500).Select(i => new CorpusDocument($"d{i}", "t", "f", i + 1)).ToList();
        var train = DocumentSplit.Select(docs, 0.2, heldOut: false).ToList();
        var held = DocumentSplit.Select(docs, 0.2, heldOut: true).ToList();
        Assert.Equal(docs.Count, train.Count + held.Count);
        Assert.Empty(train.Intersect(held));
    }

    [Fact]
    public void SeededShuffleSplitsExactlyAndReproducibly()
    {
        var items = Enumerable.Range(0, 101).ToList();
        var (train, held) = DocumentSplit.Shuffle(items, 0.1, seed: 42);
        Assert.Equal(10, held.Count);
        Assert.Equal(91, train.Count);
        Assert.Equal(items, train.Concat(held).OrderBy(x => x));
        var again = DocumentSplit.Shuffle(items, 0.1, seed: 42);
        Assert.Equal(held, again.HeldOut);
        Assert.Equal(train, again.Train);
        Assert.NotEqual(held, DocumentSplit.Shuffle(items, 0.1, seed: 43).HeldOut);
        Assert.NotEqual(items.Take(91), train); // actually shuffled
        Assert.Throws<ArgumentOutOfRangeException>(() => DocumentSplit.Shuffle(items, 1.5, 1));
    }
}
