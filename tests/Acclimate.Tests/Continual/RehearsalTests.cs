using Acclimate.Continual;
using Acclimate.Errors;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Continual;

/// <summary>
/// Rehearsal: exact ratio per period, even spacing, counts from a position; weighted losses. The mixing
/// that follows the schedule (PretrainingBatchSource.At) is tested in PretrainingBatchSourceTests.
/// </summary>
public sealed class RehearsalTests
{
    public static TheoryData<int, int> Ratios => new() { { 4, 1 }, { 3, 2 }, { 1, 1 }, { 7, 3 }, { 1, 0 }, { 0, 1 }, { 9, 4 } };

    [Theory]
    [MemberData(nameof(Ratios))]
    public void EveryPeriodHasExactlyTheRatioAndCountsMatch(int domain, int general)
    {
        var schedule = new RehearsalSchedule(domain, general);
        long seenDomain = 0, seenGeneral = 0;
        for (long step = 0; step < schedule.Period * 5L; step++)
        {
            Assert.Equal((seenDomain, seenGeneral), schedule.CountsBefore(step));
            if (schedule.SourceAt(step) == RehearsalCorpus.General) seenGeneral++; else seenDomain++;
            if ((step + 1) % schedule.Period == 0)
                Assert.Equal(((step + 1) / schedule.Period * domain, (step + 1) / schedule.Period * general), (seenDomain, seenGeneral));
        }
    }

    [Fact]
    public void GeneralBatchesAreSpreadEvenly()
    {
        var schedule = new RehearsalSchedule(4, 1);
        Assert.Equal("DDDDG", string.Concat(Enumerable.Range(0, 5).Select(i => schedule.SourceAt(i) == RehearsalCorpus.General ? 'G' : 'D')));
        var mixed = new RehearsalSchedule(3, 2);
        Assert.Equal("DDGDG", string.Concat(Enumerable.Range(0, 5).Select(i => mixed.SourceAt(i) == RehearsalCorpus.General ? 'G' : 'D')));
        Assert.Equal(0.4, mixed.GeneralFraction, 12);
    }

    [Fact]
    public void ARatioWithNoBatchesIsRefused()
    {
        Assert.Throws<ConfigException>(() => new RehearsalSchedule(0, 0));
        Assert.Throws<ConfigException>(() => new RehearsalSchedule(-1, 2));
    }

    [Fact]
    public void WeightedRehearsalAddsAlphaTimesTheGeneralLoss()
    {
        TorchRuntime.EnsureInitialized();
        using var x = tensor(new float[] { 2f }, requires_grad: true);
        using var y = tensor(new float[] { 3f }, requires_grad: true);
        using var domainLoss = (x * x).sum();
        using var generalLoss = (y * 5).sum();
        using var total = new WeightedRehearsal(0.3).Combine(domainLoss, generalLoss);
        Assert.Equal(4f + 0.3f * 15f, total.item<float>(), 1e-6f);
        total.backward();
        Assert.Equal(4f, x.grad!.item<float>(), 1e-6f);
        Assert.Equal(1.5f, y.grad!.item<float>(), 1e-6f);
        Assert.Throws<ConfigException>(() => new WeightedRehearsal(-1));
    }
}
