using Acclimate.Training;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// What <see cref="TaggingTask.Train"/> produced: the best model's folder, the per-epoch dev
/// evaluations of the whole run (a resumed run's earlier epochs restored from its checkpoint), and the loop's result.
/// </summary>
internal sealed record TaggerTrainingResult(string BestModelFolder, IReadOnlyList<EpochEvaluation> Epochs, TrainingResult Loop)
{
    /// <summary>Null when <see cref="Epochs"/> covers the whole run; else the run resumed from a checkpoint that did not keep the epochs, and those up to this step are missing.</summary>
    public long? EpochsMissingUpToStep => Loop.EvaluationsMissingUpToStep;

    /// <summary>The dev evaluation of the best model.</summary>
    public EpochEvaluation? Best => Epochs.LastOrDefault(e => e.IsBest);
}
