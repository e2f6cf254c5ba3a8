namespace Acclimate.Training;

/// <summary>
/// AdamW hyperparameters shared by every parameter group (each group has its own learning rate;
/// groups of exempt parameters have weight decay 0). PyTorch's defaults except weight decay,
/// which follows the BERT fine-tuning recipes.
/// </summary>
public sealed record AdamWSettings(double LearningRate, double WeightDecay = 0.01, double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8)
{
    /// <summary>The AdamW part of <paramref name="options"/>.</summary>
    public static AdamWSettings From(TrainingOptions options) =>
        new(options.LearningRate, options.WeightDecay, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon);
}
