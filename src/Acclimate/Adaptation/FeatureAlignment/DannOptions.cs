using Acclimate.Training;

namespace Acclimate.Adaptation.FeatureAlignment;

/// <summary>
/// <c>adaptation.dann</c>: a <see cref="DomainClassifier"/> behind a gradient-reversal layer
/// (Ganin &amp; Lempitsky 2015); weight·BCE(domain of each source and target example) is added to
/// the task loss. Weight 0 turns it off.
/// </summary>
public sealed record DannOptions : IValidatedOptions
{
    /// <summary>Weight of the domain classifier's loss added to the task loss (0 = DANN off).</summary>
    public double Weight { get; init; }

    /// <summary>The reversal coefficient λ the schedule rises to.</summary>
    public double Lambda { get; init; } = 1.0;

    /// <summary>How the reversal coefficient grows from 0 to <see cref="Lambda"/> over training.</summary>
    public DannSchedule Schedule { get; init; } = DannSchedule.Ganin;

    /// <summary>Width of the domain classifier's hidden layer.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Peak learning rate of the domain classifier; 0 = the head's rate.</summary>
    public double LearningRate { get; init; }

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (!(Weight >= 0) || double.IsInfinity(Weight)) yield return $"dann.weight must be a finite number >= 0 (got {Weight})";
        if (!(Lambda >= 0) || double.IsInfinity(Lambda)) yield return $"dann.lambda must be a finite number >= 0 (got {Lambda})";
        if (Hidden < 1) yield return $"dann.hidden must be >= 1 (got {Hidden})";
        if (!(LearningRate >= 0)) yield return $"dann.learning_rate must be >= 0 (got {LearningRate})";
    }
}
