using System.Globalization;
using System.Text;

namespace Acclimate.Training;

/// <summary>Writes one plain line per log record, evaluation and checkpoint (no per-step output).</summary>
public sealed class ConsoleTrainingProgress : ITrainingProgress
{
    private readonly TextWriter _out;
    private long _totalSteps;
    private long _startStep;
    private readonly System.Diagnostics.Stopwatch _clock = new();

    private readonly bool _bar;

    /// <param name="writer">Where lines go (default: standard output).</param>
    /// <param name="bar">Start every step line with a text progress bar (<c>[########------------]</c>), for long multi-stage jobs such as the demo.</param>
    public ConsoleTrainingProgress(TextWriter? writer = null, bool bar = false)
    {
        _out = writer ?? Console.Out;
        _bar = bar;
    }

    /// <inheritdoc />
    public void Started(TrainingPlan plan)
    {
        _totalSteps = plan.TotalSteps;
        _startStep = plan.StartStep;
        _clock.Restart();
        var from = plan.StartStep > 0 ? $", resuming after step {plan.StartStep}" : "";
        var epochs = plan.Epochs is int e ? $"{e} epochs, " : "";
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training: {epochs}{plan.TotalSteps} updates ({plan.GradAccumulation} micro-batch(es) each), {plan.Schedule.Kind} schedule with {plan.Schedule.WarmupSteps} warmup steps, {plan.Threads} threads{from}"));
    }

    /// <inheritdoc />
    public void Stepped(long step, double loss, double learningRate) { }

    /// <inheritdoc />
    public void Logged(MetricsRecord record) => _out.WriteLine(Bar(record.Step) + Line("step", record) + Eta(record.Step));

    /// <summary>A 20-character bar of the share of updates done, or nothing when bars are off.</summary>
    private string Bar(long step)
    {
        if (!_bar || _totalSteps <= 0) return "";
        var filled = (int)Math.Clamp(step * 20 / _totalSteps, 0, 20);
        return "[" + new string('#', filled) + new string('-', 20 - filled) + "] ";
    }

    /// <summary>Remaining time at the average pace of this session's updates (evaluation and checkpoint time included).</summary>
    private string Eta(long step)
    {
        var done = step - _startStep;
        if (done <= 0 || step >= _totalSteps) return "";
        var remaining = TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / done * (_totalSteps - step));
        return " | eta " + (remaining.TotalHours >= 1 ? remaining.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : remaining.ToString(@"m\:ss", CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public void Evaluated(MetricsRecord record, bool isBest) => _out.WriteLine(Line("eval", record) + (isBest ? "  (best)" : ""));

    /// <inheritdoc />
    public void CheckpointSaved(long step, string folder) => _out.WriteLine($"checkpoint: {folder}");

    /// <inheritdoc />
    public void Finished(TrainingResult result)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"done: {result.GlobalStep} updates in {result.TotalTime.TotalSeconds:F1} s"));
        if (result.StoppedEarly) text.Append(" (stopped early)");
        if (result.BestMetric is double best)
            text.Append(string.Create(CultureInfo.InvariantCulture, $"; best {best:G6} at step {result.BestStep}"));
        _out.WriteLine(text.ToString());
    }

    private string Line(string kind, MetricsRecord record)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"{kind} {record.Step}/{_totalSteps} | epoch {record.Epoch:F2}"));
        foreach (var (name, value) in record.Values)
            text.Append(" | ").Append(name).Append(' ').Append(Format(name, value));
        return text.ToString();
    }

    private static string Format(string name, double value) =>
        name == "lr" || name.EndsWith("_lr", StringComparison.Ordinal) ? value.ToString("0.###e+00", CultureInfo.InvariantCulture)
        : name.Contains("per_second", StringComparison.Ordinal) ? value.ToString("F0", CultureInfo.InvariantCulture)
        : value.ToString("G5", CultureInfo.InvariantCulture);
}
