using Acclimate.Errors;
using Acclimate.Training;

namespace Acclimate.Tests.Training;

public sealed class ShuffledBatchSourceTests
{
    private static ShuffledBatchSource<int, int[]> Source(int count = 10, int batch = 4, int seed = 1, bool shuffle = true, bool dropLast = false) =>
        new(Enumerable.Range(0, count).ToArray(), batch, seed, (items, _) => items.ToArray(), shuffle, dropLast);

    private static List<int[]> Epoch(ShuffledBatchSource<int, int[]> source, int epoch)
    {
        source.StartEpoch(epoch);
        var batches = new List<int[]>();
        while (source.TryNext(out var b)) batches.Add(b);
        return batches;
    }

    [Fact]
    public void EachEpochIsAPermutationCutIntoBatches()
    {
        var source = Source();
        Assert.Equal(3, source.BatchesPerEpoch);
        var first = Epoch(source, 0);
        Assert.Equal(new[] { 4, 4, 2 }, first.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 10), first.SelectMany(b => b).Order());
        var second = Epoch(source, 1);
        Assert.NotEqual(first.SelectMany(b => b), second.SelectMany(b => b));
        Assert.Equal(first.SelectMany(b => b), Epoch(Source(), 0).SelectMany(b => b));   // same seed, same order
        Assert.NotEqual(first.SelectMany(b => b), Epoch(Source(seed: 2), 0).SelectMany(b => b));
        Assert.Equal(Enumerable.Range(0, 10), Epoch(Source(shuffle: false), 3).SelectMany(b => b));
        Assert.Equal(2, Source(dropLast: true).BatchesPerEpoch);
    }

    [Fact]
    public void RestoredPositionContinuesWithTheSameBatches()
    {
        var original = Source();
        original.StartEpoch(2);
        original.TryNext(out _);
        var position = original.SavePosition();
        var rest = new List<int[]>();
        while (original.TryNext(out var b)) rest.Add(b);

        var fresh = Source();
        fresh.RestorePosition(position);
        var restAgain = new List<int[]>();
        while (fresh.TryNext(out var b)) restAgain.Add(b);
        Assert.Equal(rest, restAgain);
        Assert.Equal(2, rest.Count);
    }

    [Fact]
    public void APositionFromOtherDataIsRefused()
    {
        var source = Source();
        source.StartEpoch(0);
        var e = Assert.Throws<CheckpointException>(() => Source(count: 11).RestorePosition(source.SavePosition()));
        Assert.Contains("11 examples", e.Message);
        Assert.Throws<CheckpointException>(() => Source(seed: 5).RestorePosition(source.SavePosition()));
    }

    [Fact]
    public void CollateGetsAGlobalBatchIndex()
    {
        var indices = new List<long>();
        var source = new ShuffledBatchSource<int, int>(Enumerable.Range(0, 10).ToArray(), 4, 1, (_, index) => { indices.Add(index); return 0; });
        for (var epoch = 0; epoch < 2; epoch++)
        {
            source.StartEpoch(epoch);
            while (source.TryNext(out _)) { }
        }
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, indices);
    }
}
