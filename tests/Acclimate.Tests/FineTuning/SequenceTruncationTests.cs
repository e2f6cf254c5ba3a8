using Acclimate.Errors;
using Acclimate.FineTuning;

namespace Acclimate.Tests.FineTuning;

public sealed class SequenceTruncationTests
{
    private static readonly long[] Cls = { 101 };
    private static readonly long[] Sep = { 102 };

    private static long[] Content(int n) => Enumerable.Range(1000, n).Select(i => (long)i).ToArray();

    [Fact]
    public void HeadTailKeeps128FirstAnd382LastAt512Positions()
    {
        var content = Content(2000);
        var result = SequenceTruncation.Truncate(content, new TruncationOptions(TruncationStrategy.HeadTail, 512, 128), Cls, Sep);
        Assert.Equal(512, result.InputIds.Length);
        Assert.Equal(101, result.InputIds[0]);
        Assert.Equal(102, result.InputIds[^1]);
        Assert.Equal(content.Take(128), result.InputIds.Skip(1).Take(128));
        Assert.Equal(content.Skip(2000 - 382), result.InputIds.Skip(129).Take(382));
        Assert.Equal(Enumerable.Range(0, 128).Concat(Enumerable.Range(1618, 382)), result.KeptContentIndices);
        Assert.True(result.WasTruncated(2000));
    }

    [Theory]
    [InlineData(TruncationStrategy.Head)]
    [InlineData(TruncationStrategy.Tail)]
    [InlineData(TruncationStrategy.HeadTail)]
    public void EveryStrategyFitsTheBudgetAndKeepsSpecialTokens(TruncationStrategy strategy)
    {
        var prefix = new long[] { 0 };
        var suffix = new long[] { 2, 2 };   // e.g. RoBERTa pair separators
        foreach (var n in new[] { 0, 1, 5, 7, 8, 30 })
        {
            var content = Content(n);
            var result = SequenceTruncation.Truncate(content, new TruncationOptions(strategy, 10, headTokens: 3), prefix, suffix);
            var budget = 7;
            Assert.Equal(Math.Min(n, budget) + 3, result.InputIds.Length);
            Assert.Equal(0, result.InputIds[0]);
            Assert.Equal(new long[] { 2, 2 }, result.InputIds[^2..]);
            Assert.Equal(result.KeptContentIndices.Select(i => content[i]), result.InputIds[1..^2]);
            Assert.True(result.KeptContentIndices.Zip(result.KeptContentIndices.Skip(1)).All(p => p.First < p.Second));
            if (n <= budget) Assert.Equal(Enumerable.Range(0, n), result.KeptContentIndices);
            else
            {
                var expected = strategy switch
                {
                    TruncationStrategy.Head => Enumerable.Range(0, 7),
                    TruncationStrategy.Tail => Enumerable.Range(n - 7, 7),
                    _ => Enumerable.Range(0, 3).Concat(Enumerable.Range(n - 4, 4)),
                };
                Assert.Equal(expected, result.KeptContentIndices);
            }
        }
    }

    [Fact]
    public void ImpossibleBudgetsAreConfigErrors()
    {
        Assert.Throws<ConfigException>(() => SequenceTruncation.Truncate(Content(50), new TruncationOptions(TruncationStrategy.HeadTail, 10, 9), Cls, Sep));
        Assert.Throws<ConfigException>(() => SequenceTruncation.Truncate(Content(50), new TruncationOptions(TruncationStrategy.Head, 2), Cls, Sep));
        Assert.Throws<ConfigException>(() => new TruncationOptions(TruncationStrategy.Head, 0));
    }
}
