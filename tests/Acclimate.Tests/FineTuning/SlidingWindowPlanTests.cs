using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

public sealed class SlidingWindowPlanTests
{
    public SlidingWindowPlanTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData(30, 10, 5)]
    [InlineData(30, 10, 10)]
    [InlineData(31, 10, 3)]
    [InlineData(11, 10, 1)]
    [InlineData(100, 7, 4)]
    public void WindowsCoverEveryTokenAndEachTokenHasTheWindowWithMostContext(int n, int window, int stride)
    {
        var plan = SlidingWindowPlan.Create(n, window, stride);
        Assert.All(plan.Windows, w => Assert.Equal(window, w.Length));
        Assert.Equal(0, plan.Windows[0].Start);
        Assert.Equal(n, plan.Windows[^1].End);
        for (var i = 1; i < plan.Windows.Count; i++)
        {
            Assert.True(plan.Windows[i].Start > plan.Windows[i - 1].Start);
            Assert.True(plan.Windows[i].Start <= plan.Windows[i - 1].End, "windows leave a gap");
            Assert.True(plan.Windows[i].Start - plan.Windows[i - 1].Start <= stride);
        }
        Assert.Equal(n, plan.Owner.Count);
        for (var p = 0; p < n; p++)
        {
            var owner = plan.Windows[plan.Owner[p]];
            Assert.True(owner.Contains(p));
            var best = plan.Windows.Where(w => w.Contains(p)).Max(w => w.ContextOf(p));
            Assert.Equal(best, owner.ContextOf(p));
        }
    }

    [Fact]
    public void ASequenceThatFitsIsOneWindow()
    {
        var plan = SlidingWindowPlan.ForModel(contentLength: 8, maxLength: 10, specialTokenCount: 2, stride: 3);
        Assert.Single(plan.Windows);
        Assert.Equal(new TokenWindow(0, 8), plan.Windows[0]);
        Assert.Equal(new long[] { 1, 5, 6, 7, 8, 9, 10, 11, 12, 2 }, plan.InputIds(0, new long[] { 5, 6, 7, 8, 9, 10, 11, 12 }, new long[] { 1 }, new long[] { 2 }));
    }

    [Fact]
    public void MergeCopiesEachTokensRowFromItsOwnerWindow()
    {
        var plan = SlidingWindowPlan.Create(25, 8, 5);
        using var scope = NewDisposeScope();
        // Window outputs that encode (window, position) so the source of every merged row is visible.
        var outputs = zeros(plan.Windows.Count, 1 + 8 + 1, 2);
        for (var w = 0; w < plan.Windows.Count; w++)
            for (var i = 0; i < 10; i++) { outputs[w, i, 0] = tensor((float)w); outputs[w, i, 1] = tensor((float)i); }
        var merged = plan.Merge(outputs, prefixLength: 1);
        Assert.Equal(new long[] { 25, 2 }, merged.shape);
        for (var p = 0; p < 25; p++)
        {
            var w = plan.Owner[p];
            Assert.Equal(w, (int)merged[p, 0].item<float>());
            Assert.Equal(1 + p - plan.Windows[w].Start, (int)merged[p, 1].item<float>());
        }
    }

    [Fact]
    public void BadPlansAreConfigErrors()
    {
        Assert.Throws<ConfigException>(() => SlidingWindowPlan.Create(20, 5, 6));
        Assert.Throws<ConfigException>(() => SlidingWindowPlan.Create(20, 5, 0));
        Assert.Throws<ConfigException>(() => SlidingWindowPlan.ForModel(20, 2, 2, 1));
    }
}
