namespace Acclimate.Training;

/// <summary>The shape of the learning-rate multiplier over training (HF's <c>lr_scheduler_type</c> names).</summary>
public enum ScheduleKind
{
    /// <summary>Linear warmup from 0 to 1, then linear decay to 0 at the last step (HF <c>linear</c>).</summary>
    Linear,
    /// <summary>Linear warmup, then half a cosine wave down to 0 (HF <c>cosine</c>).</summary>
    Cosine,
    /// <summary>Always 1; warmup is ignored (HF <c>constant</c>).</summary>
    Constant,
    /// <summary>Linear warmup, then 1 (HF <c>constant_with_warmup</c>).</summary>
    ConstantWithWarmup,
}
