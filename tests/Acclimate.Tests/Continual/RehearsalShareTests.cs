using Acclimate.Continual;
using Acclimate.Errors;
using Acclimate.Pretraining;
using Acclimate.Training;

namespace Acclimate.Tests.Continual;

/// <summary>
/// Rehearsal given as a share of batches (<c>forgetting.rehearsal_share</c>): the realised share over
/// N steps is within one batch of N·share, the schedule is a pure function of the step, and bad values
/// are refused naming the key.
/// </summary>
public sealed class RehearsalShareTests
{
    [Theory]
    [InlineData(0.01)]
    [InlineData(0.05)]
    [InlineData(0.1)]
    [InlineData(0.125)]
    [InlineData(1.0 / 3.0)]
    [InlineData(0.37)]
    [InlineData(0.5)]
    [InlineData(0.0123457)]
    public void RealisedShareIsWithinOneBatchOfShareTimesSteps(double share)
    {
        var schedule = RehearsalSchedule.FromShare(share);
        long general = 0;
        for (long n = 1; n <= 5000; n++)
        {
            if (schedule.SourceAt(n - 1) == RehearsalCorpus.General) general++;
            Assert.Equal(general, schedule.CountsBefore(n).General);
            Assert.True(Math.Abs(general - n * share) <= 1.0, $"share {share}: {general} general batches in {n}, expected {n * share:F2} ± 1");
        }
        Assert.Equal(share, schedule.GeneralFraction, 6);
    }

    [Fact]
    public void FivePercentIsOneInTwentySpreadEvenly()
    {
        var schedule = RehearsalSchedule.FromShare(0.05);
        Assert.Equal((19, 1), (schedule.DomainPerPeriod, schedule.GeneralPerPeriod));
        var pattern = string.Concat(Enumerable.Range(0, 40).Select(i => schedule.SourceAt(i) == RehearsalCorpus.General ? 'G' : 'D'));
        Assert.Equal(new string('D', 19) + "G" + new string('D', 19) + "G", pattern);
        var third = RehearsalSchedule.FromShare(0.3);
        Assert.Equal((7, 3), (third.DomainPerPeriod, third.GeneralPerPeriod));
        // Far into a run the counts stay exact (integer arithmetic, no drift).
        Assert.Equal(30_000_000_000L, third.CountsBefore(100_000_000_000L).General);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(0.51)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void ScheduleRefusesSharesOutsideTheRange(double share) =>
        Assert.Contains("rehearsal_share", Assert.Throws<ConfigException>(() => RehearsalSchedule.FromShare(share)).Message);

    private static PretrainingForgettingOptions Bind(string body) =>
        Recipe.Parse("forgetting:\n" + body, "r.yaml").Section<PretrainingForgettingOptions>("forgetting");

    [Theory]
    [InlineData("  rehearsal_share: 0.6\n", "rehearsal_share must be in (0, 0.5]")]
    [InlineData("  rehearsal_share: -0.05\n", "rehearsal_share must be in (0, 0.5]")]
    [InlineData("  rehearsal_share: 0.05\n  rehearsal_general: 1\n", "rehearsal_share or rehearsal_general")]
    [InlineData("  rehearsal_share: 0.05\n  rehearsal_weight: 0.5\n", "rehearsal_share (mixing) or rehearsal_weight")]
    public void BadRecipeValuesAreConfigErrorsNamingTheKey(string body, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => Bind(body));
        Assert.Contains(expected, e.Message);
        Assert.Contains("r.yaml", e.Message);
    }

    [Fact]
    public void TheSectionPicksTheShareScheduleOrTheRatioOrNone()
    {
        var share = Bind("  rehearsal_share: 0.05\n");
        using (var controls = Acclimate.Pretraining.Forgetting.ForgettingControls.From(share, "no-such-fisher.safetensors")) Assert.True(controls.NeedsGeneralTrain);
        Assert.Equal((19, 1), (share.MixSchedule()!.DomainPerPeriod, share.MixSchedule()!.GeneralPerPeriod));
        var ratio = Bind("  rehearsal_domain: 3\n  rehearsal_general: 1\n");
        Assert.Equal((3, 1), (ratio.MixSchedule()!.DomainPerPeriod, ratio.MixSchedule()!.GeneralPerPeriod));
        Assert.Null(Bind("  l2sp: 0.1\n").MixSchedule());
    }

    [Fact]
    public void TheSampleReplayRewarmRecipeBinds()
    {
        var recipe = PretrainingRecipe.From(Recipe.Load(Path.Combine(TestPaths.RepoRoot, "recipes", "dapt-replay-rewarm.yaml")));
        Assert.Equal(0.05, recipe.Forgetting.RehearsalShare);
        Assert.Equal((19, 1), (recipe.Forgetting.MixSchedule()!.DomainPerPeriod, recipe.Forgetting.MixSchedule()!.GeneralPerPeriod));
        Assert.Equal(ScheduleKind.Cosine, recipe.Training.Schedule);
        Assert.Equal(0.1, recipe.Training.MinLrRatio);
        Assert.Equal(1.0, LearningRateSchedule.For(recipe.Training, 150).Multiplier(9));   // ceil(0.06 · 150) = 9 warmup updates
        Assert.Equal(0.1, LearningRateSchedule.For(recipe.Training, 150).Multiplier(150), 12);
    }
}
