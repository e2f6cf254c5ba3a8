using Acclimate.Errors;
using Acclimate.FineTuning.DomainAdaptation;
using Acclimate.FineTuning.Recipes;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// What <see cref="FineTuningTrainer.Train"/> returns: the best checkpoint, every dev evaluation of the
/// run (a resumed run's earlier ones restored from its checkpoint), the loop's result, and the
/// updates per epoch (to number the evaluations by epoch).
/// </summary>
internal sealed record FineTuningTrainingResult(string BestModelFolder, IReadOnlyList<EvaluationOutcome> Evaluations, TrainingResult Loop, long UpdatesPerEpoch)
{
    /// <summary>Null when <see cref="Evaluations"/> covers the whole run; else the run resumed from a checkpoint that did not keep the evaluations, and those up to this step are missing.</summary>
    public long? EvaluationsMissingUpToStep => Loop.EvaluationsMissingUpToStep;

    /// <summary>The epoch (from 1) an evaluation at <paramref name="step"/> closes.</summary>
    public int EpochOf(long step) => (int)((step + UpdatesPerEpoch - 1) / UpdatesPerEpoch);
}

/// <summary>
/// Fine-tunes one model for any <see cref="IFineTuningTask{TModel, TItem, TBatch, TExample}"/>, the
/// same steps in the same order for every task: seed torch's generator, build the task's model, a
/// seeded shuffled batch order, LoRA (when asked for), the loss wrappers of
/// <see cref="FineTuningObjective{TModel, TItem, TBatch, TExample}"/>, AdamW with the task's parameter
/// groups (plus the domain classifier's), and the shared <see cref="TrainingLoop{TBatch}"/> (warmup,
/// accumulation, clipping, early stopping, resume) with a dev evaluation and a checkpoint after
/// every epoch; the best dev model ends up in <c>run/best-model</c>. Runs, cross-validation folds and
/// pseudo-label rounds call it once per model.
/// </summary>
internal sealed class FineTuningTrainer
{
    private readonly FineTuneRecipe _recipe;

    public FineTuningTrainer(FineTuneRecipe recipe) => _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));

    /// <summary>Step-level progress (log lines); default silent.</summary>
    public ITrainingProgress Progress { get; init; } = SilentProgress.Instance;

    /// <summary>Free-text messages (LoRA's parameter count, the tasks' dev tables); discarded by default.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;

    /// <summary>
    /// Trains <paramref name="task"/>'s model on <paramref name="train"/> into <paramref name="run"/>,
    /// scoring <paramref name="dev"/> after every epoch. With <paramref name="resumeFrom"/> (a checkpoint
    /// of an interrupted run of the same recipe) training continues exactly where it stopped;
    /// <paramref name="evaluated"/> (with the epoch each closes) sees only the evaluations after it, while the result holds every one.
    /// </summary>
    public FineTuningTrainingResult Train<TModel, TItem, TBatch, TExample>(IFineTuningTask<TModel, TItem, TBatch, TExample> task,
        IReadOnlyList<TItem> train, IReadOnlyList<TExample> dev, RunFolder run, string? resumeFrom = null, Action<EvaluationOutcome, int>? evaluated = null)
        where TModel : TransformerModel
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(run);
        if (dev.Count == 0) throw new DataException("the dev set is empty; it is needed to pick the best checkpoint.");
        var options = _recipe.Training;
        var metric = task.BestMetric;
        if (!task.DevMetrics.Contains(metric, StringComparer.Ordinal))
            throw new ConfigException($"training.metric_for_best '{options.MetricForBest}' is not a dev metric of this {RecipeNames.EnumValue(_recipe.Model.Task)} model; expected one of {string.Join(", ", task.DevMetrics)}.");
        TorchRuntime.SetThreads(TrainingEnvironment.ThreadsFor(options.Threads));
        manual_seed(options.Seed);
        using var model = task.CreateModel();
        var batches = new ShuffledBatchSource<TItem, TBatch>(train, options.BatchSize, options.Seed, (items, _) => task.Collate(model, items));
        var perEpoch = (batches.BatchesPerEpoch!.Value + options.GradAccumulation - 1) / options.GradAccumulation;
        // Every dev metric a task reports (f1, accuracy, macro_f1…) is better when larger.
        var loopOptions = options with { EvalEvery = perEpoch, MetricForBest = metric, GreaterIsBetter = true };
        // LoRA (when asked for) freezes the encoder before the optimizer is built over what trains.
        var target = LoraFineTuning.Apply(_recipe, model, task.Trainable(model), Log);
        // The recipe's mixup / adaptation / adversarial wrappers (none: the task's plain loss, no hooks).
        using var objective = new FineTuningObjective<TModel, TItem, TBatch, TExample>(_recipe, task, model);
        using var optimizer = AdamWOptimizer.Create(objective.NamedParameters(), AdamWSettings.From(loopOptions),
            DomainAlignment.Groups(_recipe, task.ParameterGroups(model)));
        TrainingLoop<TBatch>? loop = null;
        loop = new TrainingLoop<TBatch>(loopOptions, objective.Trainable(target), optimizer, batches,
            batch => objective.Loss(batch, (double)loop!.GlobalStep / loop.TotalSteps))
        {
            LossParts = objective.Parts,
            Backward = objective.Backward,
            SaveExtraState = objective.SaveState,
            RestoreExtraState = objective.RestoreState,
            Run = run,
            CheckpointAfterEvaluation = true,   // once an epoch: a killed run resumes from its last finished epoch
            Progress = Progress,
            CountTokens = task.CountTokens,
            Evaluate = () => task.Evaluate(model, dev),
            Evaluated = evaluated is null ? null : outcome => evaluated(outcome, EpochOf(outcome.Step)),
            // With a task's SaveScores the checkpoints keep each epoch's whole scores, so a resumed run reports the earlier epochs in full.
            SaveScores = task.SaveScores,
            RestoreScores = task.RestoreScores,
        };
        if (resumeFrom is not null) loop.ResumeFrom(resumeFrom);
        var result = loop.Train();
        int EpochOf(long step) => (int)((step + perEpoch - 1) / perEpoch);
        var best = result.BestModelFolder ?? throw new AcclimateException($"{run.Path}: training ended without a usable dev evaluation (the metric '{metric}' was never finite).");
        LoraFineTuning.Finish(_recipe, best);
        return new FineTuningTrainingResult(best, result.Evaluations, result, perEpoch);
    }
}
