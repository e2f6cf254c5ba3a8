namespace Acclimate.Training;

/// <summary>
/// Receives what the training loop is doing, for display. The CLI renders it with Spectre.Console;
/// <see cref="ConsoleTrainingProgress"/> writes plain lines. Calls come from the training thread,
/// between steps; an implementation should be quick.
/// </summary>
public interface ITrainingProgress
{
    /// <summary>Before the first update of this call.</summary>
    void Started(TrainingPlan plan);

    /// <summary>After every update: its step number, mean loss and the learning rate it used.</summary>
    void Stepped(long step, double loss, double learningRate);

    /// <summary>A training log record (every <c>log_every</c> updates).</summary>
    void Logged(MetricsRecord record);

    /// <summary>An evaluation finished; <paramref name="isBest"/> when it improved the chosen metric.</summary>
    void Evaluated(MetricsRecord record, bool isBest);

    /// <summary>A checkpoint folder was written.</summary>
    void CheckpointSaved(long step, string folder);

    /// <summary>The run ended (all steps done, or stopped early).</summary>
    void Finished(TrainingResult result);
}

/// <summary>Progress that goes nowhere (the default for library use).</summary>
internal sealed class SilentProgress : ITrainingProgress
{
    public static readonly SilentProgress Instance = new();
    public void Started(TrainingPlan plan) { }
    public void Stepped(long step, double loss, double learningRate) { }
    public void Logged(MetricsRecord record) { }
    public void Evaluated(MetricsRecord record, bool isBest) { }
    public void CheckpointSaved(long step, string folder) { }
    public void Finished(TrainingResult result) { }
}
