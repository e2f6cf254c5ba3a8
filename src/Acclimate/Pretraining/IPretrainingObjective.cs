namespace Acclimate.Pretraining;

/// <summary>
/// A pretraining objective as a "batch → loss" piece: the training loop collates a batch, calls
/// <see cref="Compute"/> inside its step's dispose scope, back-propagates
/// <see cref="PretrainingLoss.Total"/> (plus any regularizer) and steps its optimizer.
/// </summary>
internal interface IPretrainingObjective
{
    /// <summary>The loss of the model(s) on <paramref name="batch"/>, with its graph.</summary>
    PretrainingLoss Compute(MlmBatch batch);
}
