namespace Acclimate.Training;

/// <summary>What a run is about to do, as reported to <see cref="ITrainingProgress.Started"/>.</summary>
/// <param name="TotalSteps">Optimizer updates in the whole run.</param>
/// <param name="StartStep">Updates already done (non-zero when resuming).</param>
/// <param name="Epochs">Epochs asked for (null when the run is bounded by max_steps).</param>
/// <param name="BatchesPerEpoch">Micro-batches per epoch, when the source knows.</param>
/// <param name="GradAccumulation">Micro-batches per update.</param>
/// <param name="Schedule">The learning-rate schedule.</param>
/// <param name="Threads">torch intra-op threads in use.</param>
public sealed record TrainingPlan(long TotalSteps, long StartStep, int? Epochs, long? BatchesPerEpoch, int GradAccumulation, LearningRateSchedule Schedule, int Threads);
