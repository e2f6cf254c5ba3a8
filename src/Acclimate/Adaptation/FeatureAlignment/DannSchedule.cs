namespace Acclimate.Adaptation.FeatureAlignment;

/// <summary>How the gradient-reversal coefficient λ moves over training (recipe key <c>adaptation.dann.schedule</c>).</summary>
public enum DannSchedule
{
    /// <summary>
    /// Ganin &amp; Lempitsky (2015): λ_p = 2/(1 + exp(−10p)) − 1 at training progress p ∈ [0, 1], times
    /// the configured λ, so the domain signal starts at 0 while the features are still noise and
    /// rises to the configured λ.
    /// </summary>
    Ganin,
    /// <summary>The configured λ from the first step.</summary>
    Constant,
}

/// <summary>The value of the reversal coefficient at a point of training.</summary>
internal static class DannLambda
{
    /// <param name="schedule">The schedule.</param>
    /// <param name="lambda">The configured (final) λ.</param>
    /// <param name="progress">Updates done / total updates, clamped to [0, 1].</param>
    public static double At(DannSchedule schedule, double lambda, double progress)
    {
        var p = Math.Clamp(double.IsFinite(progress) ? progress : 0, 0, 1);
        return schedule switch
        {
            DannSchedule.Constant => lambda,
            _ => lambda * (2 / (1 + Math.Exp(-10 * p)) - 1),
        };
    }
}
