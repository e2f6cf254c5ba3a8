using Acclimate.Training;

namespace Acclimate.Tests.Training;

public sealed class ConsoleTrainingProgressTests
{
    private static MetricsRecord Record(long step) => new(step, step / 40.0, new Dictionary<string, double> { ["loss"] = 2.5 });

    [Fact]
    public void BarsShowTheShareOfUpdatesDoneAndAreOffByDefault()
    {
        var plan = new TrainingPlan(40, 0, null, null, 1, new LearningRateSchedule(ScheduleKind.Linear, 2, 40), 1);
        var withBars = new StringWriter();
        var progress = new ConsoleTrainingProgress(withBars, bar: true);
        progress.Started(plan);
        progress.Logged(Record(10));
        progress.Logged(Record(40));
        var lines = withBars.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("[#####---------------] step 10/40 | epoch 0.25 | loss 2.5", lines[1]);
        Assert.StartsWith("[####################] step 40/40", lines[2]);

        var plain = new StringWriter();
        var quiet = new ConsoleTrainingProgress(plain);
        quiet.Started(plan);
        quiet.Logged(Record(10));
        Assert.StartsWith("step 10/40 | epoch 0.25 | loss 2.5", plain.ToString().Split('\n')[1]);
    }
}
