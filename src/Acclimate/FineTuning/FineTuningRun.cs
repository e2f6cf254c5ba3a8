using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.Training;

namespace Acclimate.FineTuning;

/// <summary>
/// A whole fine-tuning run from a recipe, for either task (<c>model.task</c>): read the splits and
/// build the label set, train with the shared <see cref="FineTuningTrainer"/> (token classification
/// also k-fold cross-validation or pseudo-label rounds), score the best model on dev and test, and
/// write <c>results.json</c>, <c>epochs.md</c>, predictions and (for taggers) <c>report.md</c> into the
/// run folder. The files a run writes, and the saved models, are those earlier versions wrote.
/// </summary>
public sealed class FineTuningRun
{
    private readonly FineTuneRecipe _recipe;
    private readonly RunFolder _run;

    /// <summary>A run of <paramref name="recipe"/> writing into <paramref name="run"/>.</summary>
    public FineTuningRun(FineTuneRecipe recipe, RunFolder run)
    {
        _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));
        _run = run ?? throw new ArgumentNullException(nameof(run));
    }

    /// <summary>
    /// Called after every epoch's dev evaluation of a token-classification run (the CLI prints its
    /// table); the evaluation's label names the fold or pseudo-label round. A sequence-classification
    /// run writes its per-class dev table to <see cref="Log"/> instead.
    /// </summary>
    public Action<EpochEvaluation>? EpochEvaluated { get; init; }

    /// <summary>Receives the training loop's events (the CLI's progress bar); silent by default.</summary>
    public ITrainingProgress Progress { get; init; } = SilentProgress.Instance;

    /// <summary>Free-text progress messages (data read, scores); discarded by default.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;

    /// <summary>A checkpoint of an interrupted run of the same recipe to continue from (plain runs only, not cross-validation or pseudo-label rounds).</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Trains as the recipe says, scores dev (and test, when given) with the best model, and writes the results into the run folder.</summary>
    public FineTuneResult Execute()
    {
        var context = new RunContext(_recipe, _run, new FineTuningTrainer(_recipe) { Progress = Progress, Log = Log }, Log, ResumeFrom, EpochEvaluated);
        return _recipe.Model.Task == FineTuneTask.TokenClassification ? new TaggingRun(context).Execute() : new ClassificationRun(context).Execute();
    }
}
