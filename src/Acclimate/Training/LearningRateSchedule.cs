using Acclimate.Errors;

namespace Acclimate.Training;

/// <summary>
/// The learning-rate multiplier as a pure function of the optimizer step, with the semantics of
/// HF's <c>get_linear_schedule_with_warmup</c>, <c>get_cosine_schedule_with_warmup</c> and
/// <c>get_constant_schedule_with_warmup</c>: the update made when <c>step</c> updates have already
/// been taken uses <c>base_lr × Multiplier(step)</c>, so the very first update of a warmed-up run
/// uses a learning rate of 0, exactly as HF's LambdaLR does. Because nothing but the step goes in,
/// a resumed run needs only the step to continue the schedule exactly.
/// </summary>
public sealed record LearningRateSchedule
{
    /// <summary>A schedule of <paramref name="totalSteps"/> updates.</summary>
    /// <param name="kind">Shape after warmup (linear, cosine, constant…).</param>
    /// <param name="warmupSteps">Updates of linear warmup from 0 to the peak.</param>
    /// <param name="totalSteps">All updates, warmup included.</param>
    /// <param name="cosineCycles">HF's <c>num_cycles</c> for the cosine shape.</param>
    /// <param name="minLrRatio">
    /// Floor of the linear and cosine decay as a fraction of the peak (HF's <c>min_lr_rate</c> of
    /// <c>cosine_with_min_lr</c>): the decaying multiplier m becomes r + (1 − r)·m. 0 = decay to 0.
    /// </param>
    public LearningRateSchedule(ScheduleKind kind, long warmupSteps, long totalSteps, double cosineCycles = 0.5, double minLrRatio = 0)
    {
        if (!(minLrRatio >= 0 && minLrRatio < 1)) throw new ConfigException($"min_lr_ratio must be in [0, 1) (got {minLrRatio}).");
        if (warmupSteps < 0) throw new ConfigException($"warmup steps must be >= 0 (got {warmupSteps}).");
        if (totalSteps < 1) throw new ConfigException($"total training steps must be >= 1 (got {totalSteps}).");
        if (!(cosineCycles > 0)) throw new ConfigException($"cosine cycles must be > 0 (got {cosineCycles}).");
        Kind = kind;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        CosineCycles = cosineCycles;
        MinLrRatio = minLrRatio;
    }

    /// <summary>Shape after warmup.</summary>
    public ScheduleKind Kind { get; }
    /// <summary>Updates of linear warmup.</summary>
    public long WarmupSteps { get; }
    /// <summary>All updates, warmup included.</summary>
    public long TotalSteps { get; }
    /// <summary>HF's <c>num_cycles</c> for the cosine schedule: 0.5 is one half-wave from 1 down to 0.</summary>
    public double CosineCycles { get; }
    /// <summary>Floor of the linear and cosine decay, as a fraction of the peak (0: decay to 0).</summary>
    public double MinLrRatio { get; }

    /// <summary>
    /// The schedule a run with <paramref name="options"/> and <paramref name="totalSteps"/> updates
    /// uses. Warmup is <c>WarmupSteps</c> when positive, else <c>ceil(totalSteps × WarmupRatio)</c>
    /// (HF's <c>TrainingArguments.get_warmup_steps</c>).
    /// </summary>
    public static LearningRateSchedule For(TrainingOptions options, long totalSteps) =>
        new(options.Schedule, WarmupStepsFor(options, totalSteps), totalSteps, minLrRatio: options.MinLrRatio);

    /// <summary>HF's rule: explicit warmup steps win; otherwise the ratio of the total, rounded up.</summary>
    public static long WarmupStepsFor(TrainingOptions options, long totalSteps) =>
        options.WarmupSteps > 0 ? options.WarmupSteps : (long)Math.Ceiling(totalSteps * options.WarmupRatio);

    /// <summary>The multiplier for the update taken after <paramref name="step"/> completed updates.</summary>
    public double Multiplier(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "steps count from 0.");
        if (Kind == ScheduleKind.Constant) return 1.0;
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        switch (Kind)
        {
            case ScheduleKind.ConstantWithWarmup:
                return 1.0;
            case ScheduleKind.Linear:
                return Floored(Math.Max(0.0, (double)(TotalSteps - step) / decaySteps));
            case ScheduleKind.Cosine:
                var progress = (double)(step - WarmupSteps) / decaySteps;
                return Floored(Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * CosineCycles * 2.0 * progress))));
            default:
                throw new ConfigException($"schedule '{Kind}' is not implemented.");
        }
    }

    private double Floored(double decay) => MinLrRatio == 0 ? decay : MinLrRatio + (1.0 - MinLrRatio) * decay;
}
