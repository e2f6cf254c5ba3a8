namespace Acclimate.Training;

/// <summary>How a call to <see cref="TrainingLoop{TBatch}.Train"/> ended.</summary>
/// <param name="GlobalStep">Updates completed in total (including those before a resume).</param>
/// <param name="StartStep">Updates already done when this call started.</param>
/// <param name="StepLosses">The mean micro-batch loss of each update this call made (index 0 is update StartStep + 1).</param>
/// <param name="BestMetric">Best value of the chosen metric so far (null without evaluation).</param>
/// <param name="BestStep">Step of the best evaluation.</param>
/// <param name="BestModelFolder">Where the best model was written (null without a run folder or evaluation).</param>
/// <param name="LastCheckpoint">The newest checkpoint folder written, if any.</param>
/// <param name="StoppedEarly">True when early stopping ended the run.</param>
/// <param name="TrainingTime">Wall time spent in update steps (excludes evaluation and checkpoint writing).</param>
/// <param name="TotalTime">Wall time of the whole call.</param>
public sealed record TrainingResult(
    long GlobalStep,
    long StartStep,
    IReadOnlyList<double> StepLosses,
    double? BestMetric,
    long? BestStep,
    string? BestModelFolder,
    string? LastCheckpoint,
    bool StoppedEarly,
    TimeSpan TrainingTime,
    TimeSpan TotalTime)
{
    /// <summary>
    /// Every evaluation of the run, oldest first: after a resume, those before it (restored from the
    /// checkpoint) and then this call's, so a per-evaluation table covers the whole run.
    /// </summary>
    public IReadOnlyList<EvaluationOutcome> Evaluations { get; init; } = Array.Empty<EvaluationOutcome>();

    /// <summary>
    /// Null when <see cref="Evaluations"/> is the whole run. Otherwise the run was resumed (at some
    /// point) from a checkpoint written before checkpoints kept the evaluations, and those at or
    /// before this step are missing.
    /// </summary>
    public long? EvaluationsMissingUpToStep { get; init; }
}
