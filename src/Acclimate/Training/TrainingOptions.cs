namespace Acclimate.Training;

/// <summary>
/// The knobs of <see cref="TrainingLoop{TBatch}"/> and of the AdamW setup, as the <c>training</c>
/// section of a recipe names them (each property's snake_case name is its recipe key, e.g.
/// <c>grad_accumulation</c>). Defaults follow HF's Trainer where it has one.
/// </summary>
public sealed record TrainingOptions : IValidatedOptions
{
    /// <summary>Peak learning rate of the default parameter group.</summary>
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>Decoupled (AdamW) weight decay; biases and LayerNorm weights never decay.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>AdamW β₁.</summary>
    public double AdamBeta1 { get; init; } = 0.9;
    /// <summary>AdamW β₂.</summary>
    public double AdamBeta2 { get; init; } = 0.999;
    /// <summary>AdamW ε.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>Warmup as a fraction of all updates (rounded up); ignored when <see cref="WarmupSteps"/> is positive.</summary>
    public double WarmupRatio { get; init; }
    /// <summary>Warmup in updates; wins over <see cref="WarmupRatio"/> when positive.</summary>
    public long WarmupSteps { get; init; }
    /// <summary>Learning-rate shape after warmup.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Linear;
    /// <summary>
    /// Floor of the linear or cosine decay as a fraction of <see cref="LearningRate"/> (0: decay to 0;
    /// ignored by the constant schedules). With <c>schedule: cosine</c> and a warmup it is the
    /// re-warm / re-decay schedule for continued pretraining (docs/pretraining.md).
    /// </summary>
    public double MinLrRatio { get; init; }
    /// <summary>Passes over the data; ignored when <see cref="MaxSteps"/> is positive.</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Total optimizer updates; when positive it wins over <see cref="Epochs"/> and the data is cycled.</summary>
    public long MaxSteps { get; init; }
    /// <summary>Examples per micro-batch (read by the batch source the caller builds).</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Micro-batches whose gradients are summed (each loss scaled by 1/n) before one update.</summary>
    public int GradAccumulation { get; init; } = 1;
    /// <summary>Global L2 norm the gradients are clipped to before each update; 0 turns clipping off.</summary>
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>Seeds torch (dropout, initialization) and, through the batch source, data order and masking.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Evaluate every this many updates (0: only once, at the end).</summary>
    public long EvalEvery { get; init; }
    /// <summary>Write a resumable checkpoint every this many updates (0: only at the end).</summary>
    public long SaveEvery { get; init; } = 500;
    /// <summary>Write a metrics record (metrics.jsonl, TensorBoard, progress) every this many updates.</summary>
    public long LogEvery { get; init; } = 10;
    /// <summary>How many periodic checkpoints to keep (oldest deleted first; 0 keeps all).</summary>
    public int KeepLast { get; init; } = 2;
    /// <summary>cpu, cuda, cuda:N or auto (the caller resolves it with <c>TorchRuntime.ResolveDevice</c>).</summary>
    public string Device { get; init; } = "auto";
    /// <summary>Intra-op threads for torch; 0 means the machine's physical cores.</summary>
    public int Threads { get; init; }
    /// <summary>
    /// fp32 (default) or bf16: mixed precision for the encoder's matrix products, with fp32 master
    /// weights, LayerNorm and losses (see <see cref="Runtime.ComputePrecision"/>). Evaluation inside
    /// the loop runs in the same precision.
    /// </summary>
    public Runtime.ComputePrecision Precision { get; init; } = Runtime.ComputePrecision.Fp32;
    /// <summary>Stop after this many evaluations without improvement of <see cref="MetricForBest"/> (0: never stop early).</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>Evaluation metric that picks the best model (with or without the <c>eval_</c> prefix).</summary>
    public string MetricForBest { get; init; } = "loss";
    /// <summary>Whether a larger <see cref="MetricForBest"/> is better (false for losses, true for F1 or accuracy).</summary>
    public bool GreaterIsBetter { get; init; }

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) yield return $"learning_rate must be > 0 (got {LearningRate})";
        if (!(WeightDecay >= 0)) yield return $"weight_decay must be >= 0 (got {WeightDecay})";
        if (!(AdamBeta1 >= 0 && AdamBeta1 < 1)) yield return $"adam_beta1 must be in [0, 1) (got {AdamBeta1})";
        if (!(AdamBeta2 >= 0 && AdamBeta2 < 1)) yield return $"adam_beta2 must be in [0, 1) (got {AdamBeta2})";
        if (!(AdamEpsilon >= 0)) yield return $"adam_epsilon must be >= 0 (got {AdamEpsilon})";
        if (!(WarmupRatio >= 0 && WarmupRatio <= 1)) yield return $"warmup_ratio must be in [0, 1] (got {WarmupRatio})";
        if (!(MinLrRatio >= 0 && MinLrRatio < 1)) yield return $"min_lr_ratio must be in [0, 1) (got {MinLrRatio})";
        if (WarmupSteps < 0) yield return $"warmup_steps must be >= 0 (got {WarmupSteps})";
        if (MaxSteps < 0) yield return $"max_steps must be >= 0 (got {MaxSteps})";
        if (MaxSteps == 0 && Epochs < 1) yield return $"epochs must be >= 1 when max_steps is 0 (got {Epochs})";
        if (BatchSize < 1) yield return $"batch_size must be >= 1 (got {BatchSize})";
        if (GradAccumulation < 1) yield return $"grad_accumulation must be >= 1 (got {GradAccumulation})";
        if (!(ClipNorm >= 0)) yield return $"clip_norm must be >= 0 (got {ClipNorm})";
        if (EvalEvery < 0) yield return $"eval_every must be >= 0 (got {EvalEvery})";
        if (SaveEvery < 0) yield return $"save_every must be >= 0 (got {SaveEvery})";
        if (LogEvery < 1) yield return $"log_every must be >= 1 (got {LogEvery})";
        if (KeepLast < 0) yield return $"keep_last must be >= 0 (got {KeepLast})";
        if (Threads < 0) yield return $"threads must be >= 0 (got {Threads})";
        if (EarlyStoppingPatience < 0) yield return $"early_stopping_patience must be >= 0 (got {EarlyStoppingPatience})";
        if (string.IsNullOrWhiteSpace(MetricForBest)) yield return "metric_for_best must name an evaluation metric (got an empty name)";
        if (string.IsNullOrWhiteSpace(Device)) yield return "device must be cpu, cuda, cuda:N or auto (got an empty name)";
    }

    /// <summary><see cref="MetricForBest"/> without HF's <c>eval_</c> prefix, as evaluation callbacks name metrics.</summary>
    public string BestMetricKey => MetricForBest.StartsWith("eval_", StringComparison.Ordinal) ? MetricForBest[5..] : MetricForBest;
}
