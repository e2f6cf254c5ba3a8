using Acclimate.Training;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;

namespace Acclimate.FineTuning.Tagging;

/// <summary>What <see cref="TaggerTrainer.Train"/> produced: the best model's folder, the per-epoch dev evaluations, and the loop's result.</summary>
internal sealed record TaggerTrainingResult(string BestModelFolder, IReadOnlyList<EpochEvaluation> Epochs, TrainingResult Loop)
{
    /// <summary>The dev evaluation of the best model.</summary>
    public EpochEvaluation? Best => Epochs.LastOrDefault(e => e.IsBest);
}
