using Acclimate.Errors;
using Acclimate.Training;

namespace Acclimate.Tests.Training;

/// <summary>Multipliers checked against values worked out by hand from HF's definitions.</summary>
public sealed class LearningRateScheduleTests
{
    [Theory]
    // warmup 2 of 10: 0/2, 1/2, then (10 - s) / 8 down to 0, never negative.
    [InlineData(0, 0.0)]
    [InlineData(1, 0.5)]
    [InlineData(2, 1.0)]
    [InlineData(3, 0.875)]
    [InlineData(6, 0.5)]
    [InlineData(9, 0.125)]
    [InlineData(10, 0.0)]
    [InlineData(11, 0.0)]
    public void LinearWarmsUpThenDecaysToZero(long step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(ScheduleKind.Linear, 2, 10).Multiplier(step), 12);

    [Theory]
    // warmup 2 of 10: progress p = (s - 2) / 8, value 0.5 (1 + cos(pi p)).
    [InlineData(1, 0.5)]
    [InlineData(2, 1.0)]
    [InlineData(4, 0.85355339059327373)]   // 0.5 (1 + cos(pi/4)) = 0.5 + sqrt(2)/4
    [InlineData(6, 0.5)]                   // cos(pi/2) = 0
    [InlineData(8, 0.14644660940672627)]   // 0.5 - sqrt(2)/4
    [InlineData(10, 0.0)]
    public void CosineWarmsUpThenFollowsHalfACosine(long step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(ScheduleKind.Cosine, 2, 10).Multiplier(step), 12);

    [Fact]
    public void CosinePastTheEndIsNotClampedLikeHf()
    {
        // p = 1.25: 0.5 (1 + cos(1.25 pi)) = 0.5 - sqrt(2)/4. HF's lambda does not clamp the step
        // either; the loop never asks past TotalSteps, this only pins the formula.
        Assert.Equal(0.14644660940672627, new LearningRateSchedule(ScheduleKind.Cosine, 2, 10).Multiplier(12), 12);
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.25)]
    [InlineData(3, 0.75)]
    [InlineData(4, 1.0)]
    [InlineData(1000, 1.0)]
    public void ConstantWithWarmupHoldsOneAfterWarmup(long step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(ScheduleKind.ConstantWithWarmup, 4, 10).Multiplier(step), 12);

    [Fact]
    public void ConstantIgnoresWarmup()
    {
        var schedule = new LearningRateSchedule(ScheduleKind.Constant, 5, 10);
        Assert.Equal(1.0, schedule.Multiplier(0));
        Assert.Equal(1.0, schedule.Multiplier(20));
    }

    [Fact]
    public void LinearWithoutWarmupStartsAtOne()
    {
        var schedule = new LearningRateSchedule(ScheduleKind.Linear, 0, 4);
        Assert.Equal(new[] { 1.0, 0.75, 0.5, 0.25, 0.0 }, Enumerable.Range(0, 5).Select(s => schedule.Multiplier(s)).ToArray());
    }

    [Theory]
    [InlineData(10, 0.25, 0, 3)]    // ceil(2.5)
    [InlineData(100, 0.06, 0, 6)]
    [InlineData(7, 0.0, 0, 0)]
    [InlineData(10, 0.25, 5, 5)]    // explicit steps win over the ratio
    public void WarmupStepsFollowHfRule(long total, double ratio, long steps, long expected)
    {
        var options = new TrainingOptions { WarmupRatio = ratio, WarmupSteps = steps };
        Assert.Equal(expected, LearningRateSchedule.WarmupStepsFor(options, total));
        Assert.Equal(expected, LearningRateSchedule.For(options, total).WarmupSteps);
    }

    [Fact]
    public void InvalidSchedulesAreRejected()
    {
        Assert.Throws<ConfigException>(() => new LearningRateSchedule(ScheduleKind.Linear, -1, 10));
        Assert.Throws<ConfigException>(() => new LearningRateSchedule(ScheduleKind.Linear, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(ScheduleKind.Linear, 0, 10).Multiplier(-1));
    }

    [Theory]
    // The continued-pretraining (re-warm, re-decay) schedule as a recipe gives it: schedule cosine,
    // warmup_ratio 0.1 of 20 updates = 2, min_lr_ratio 0.1. Warmup 0, 1/2, 1; then
    // 0.1 + 0.9 · 0.5 (1 + cos(pi p)) with p = (s - 2) / 18, ending at the floor 0.1.
    [InlineData(0, 0.0)]
    [InlineData(1, 0.5)]
    [InlineData(2, 1.0)]
    [InlineData(5, 0.93971143170299737)]   // p = 1/6: 0.1 + 0.45 (1 + sqrt(3)/2)
    [InlineData(11, 0.55)]                 // p = 1/2: 0.1 + 0.45
    [InlineData(20, 0.1)]
    public void RewarmRecipeWarmsUpAgainThenCosineDecaysToTheFloor(long step, double expected)
    {
        var options = Recipe.Parse("training:\n  schedule: cosine\n  warmup_ratio: 0.1\n  min_lr_ratio: 0.1\n", "r.yaml").Section<TrainingOptions>("training");
        var schedule = LearningRateSchedule.For(options, 20);
        Assert.Equal((2L, 0.1), (schedule.WarmupSteps, schedule.MinLrRatio));
        Assert.Equal(expected, schedule.Multiplier(step), 12);
    }

    [Theory]
    // Linear with a floor 0.2, warmup 2 of 10: 0.2 + 0.8 (10 - s) / 8.
    [InlineData(1, 0.5)]
    [InlineData(2, 1.0)]
    [InlineData(6, 0.6)]
    [InlineData(10, 0.2)]
    public void LinearDecaysToTheFloor(long step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(ScheduleKind.Linear, 2, 10, minLrRatio: 0.2).Multiplier(step), 12);

    [Theory]
    [InlineData("1")]
    [InlineData("-0.1")]
    public void MinLrRatioOutsideZeroToOneIsAConfigErrorNamingTheKey(string value)
    {
        var e = Assert.Throws<ConfigException>(() => Recipe.Parse($"training:\n  min_lr_ratio: {value}\n", "r.yaml").Section<TrainingOptions>("training"));
        Assert.Contains("min_lr_ratio", e.Message);
        Assert.Throws<ConfigException>(() => new LearningRateSchedule(ScheduleKind.Cosine, 0, 10, minLrRatio: double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));
    }
}
