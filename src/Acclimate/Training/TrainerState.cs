using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Training;

/// <summary>
/// Everything besides weights and optimizer moments that a resumed run needs to continue exactly:
/// the step and epoch, where the data stream stands, the RNG state, the schedule it was on, and
/// the best-model / early-stopping bookkeeping, and the evaluations made so far (so that a resumed
/// run's per-evaluation record covers the whole run). Stored as <c>trainer_state.json</c> in each checkpoint.
/// </summary>
internal sealed record TrainerState
{
    /// <summary>The file name inside a checkpoint folder.</summary>
    public const string FileName = "trainer_state.json";
    public const string CurrentFormat = "acclimate-trainer-state-1";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        // A train loss or a metric may be NaN (no update since the last evaluation, a macro average over nothing).
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Format { get; init; } = CurrentFormat;
    /// <summary>Optimizer updates completed.</summary>
    public long GlobalStep { get; init; }
    /// <summary>The epoch in progress (0-based).</summary>
    public int Epoch { get; init; }
    /// <summary>Micro-batches already taken from the current epoch (for the fractional epoch in logs).</summary>
    public long BatchesInEpoch { get; init; }
    /// <summary>The batch source's own position (<see cref="IBatchSource{TBatch}.SavePosition"/>).</summary>
    public JsonNode? DataPosition { get; init; }
    /// <summary>The run's seed.</summary>
    public int Seed { get; init; }
    /// <summary>torch's default CPU generator state (<c>torch.random.get_rng_state()</c>), base64.</summary>
    public string TorchRngState { get; init; } = "";
    /// <summary>The schedule the run was on; a resume must be on the same one to continue exactly.</summary>
    public ScheduleSnapshot Schedule { get; init; } = new();
    /// <summary>Micro-batches per update.</summary>
    public int GradAccumulation { get; init; } = 1;
    public string? BestMetricName { get; init; }
    public double? BestMetric { get; init; }
    public long? BestStep { get; init; }
    /// <summary>Evaluations since the best one (early-stopping patience counter).</summary>
    public int EvaluationsWithoutImprovement { get; init; }
    public long TokensSeen { get; init; }
    /// <summary>Whatever the objective saved through <c>TrainingLoop.SaveExtraState</c> (e.g. its own RNG).</summary>
    public JsonNode? Extra { get; init; }
    /// <summary>Every evaluation up to this checkpoint, oldest first; null in checkpoints written before the loop kept them.</summary>
    public List<EvaluationEntry>? Evaluations { get; init; }
    /// <summary>
    /// Set when the run once resumed from a checkpoint without <see cref="Evaluations"/>: the evaluations
    /// at or before this step are missing from it. Carried on, so a later resume still knows.
    /// </summary>
    public long? EvaluationsMissingUpToStep { get; init; }
    /// <summary>Sum of the update losses since the last evaluation (the next evaluation's mean train loss continues from it).</summary>
    public double TrainLossSum { get; init; }
    /// <summary>Number of updates in <see cref="TrainLossSum"/>.</summary>
    public long TrainLossCount { get; init; }

    /// <summary>One evaluation as stored: what <c>EvaluationOutcome</c> held, its scores as metric values and (when the caller saves them) in the caller's own form.</summary>
    public sealed record EvaluationEntry
    {
        public long Step { get; init; }
        public double Epoch { get; init; }
        public double TrainLoss { get; init; }
        public bool IsBest { get; init; }
        public Dictionary<string, double> Metrics { get; init; } = new(StringComparer.Ordinal);
        /// <summary>What <c>TrainingLoop.SaveScores</c> made of the scores, or null without it.</summary>
        public JsonNode? Scores { get; init; }
    }

    /// <summary>The schedule parameters, as stored.</summary>
    public sealed record ScheduleSnapshot
    {
        public ScheduleKind Kind { get; init; }
        public long WarmupSteps { get; init; }
        public long TotalSteps { get; init; }
        public double MinLrRatio { get; init; }

        public static ScheduleSnapshot Of(LearningRateSchedule schedule) =>
            new() { Kind = schedule.Kind, WarmupSteps = schedule.WarmupSteps, TotalSteps = schedule.TotalSteps, MinLrRatio = schedule.MinLrRatio };
    }

    /// <summary>Writes the state as indented JSON, atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    public static TrainerState Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: trainer state not found; a resumable checkpoint folder holds {FileName}.");
        TrainerState? state;
        try { state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new CheckpointException($"{path}: not a valid trainer state ({e.Message}).", e); }
        if (state is null) throw new CheckpointException($"{path}: empty trainer state.");
        if (state.Format != CurrentFormat) throw new CheckpointException($"{path}: trainer state format '{state.Format}', expected '{CurrentFormat}'.");
        return state;
    }
}
