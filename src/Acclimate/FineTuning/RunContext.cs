using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.Training;

namespace Acclimate.FineTuning;

/// <summary>
/// What a <see cref="FineTuningRun"/> hands the task's run steps: the recipe, the run folder, the one
/// trainer every model of the run is trained with, where messages go, the checkpoint to resume from,
/// and the per-epoch callback of token classification.
/// </summary>
internal sealed record RunContext(FineTuneRecipe Recipe, RunFolder Folder, FineTuningTrainer Trainer, TextWriter Log, string? ResumeFrom, Action<EpochEvaluation>? EpochEvaluated);
