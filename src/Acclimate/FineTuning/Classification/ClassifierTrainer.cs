using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.Evaluation;
using Acclimate.Models;
using Acclimate.Tokenization;
using Acclimate.Runtime;
using Acclimate.Training;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.DomainAdaptation;
using static TorchSharp.torch;

namespace Acclimate.FineTuning.Classification;

/// <summary>
/// What <see cref="ClassifierTrainer.Train"/> returns: the best checkpoint, the dev metrics of every
/// epoch of the run (a resumed run's earlier epochs restored from its checkpoint), the loop's result.
/// </summary>
internal sealed record ClassifierTrainingResult(string BestModelFolder, IReadOnlyList<IReadOnlyDictionary<string, double>> Epochs, TrainingResult Training, long PadTokenId)
{
    /// <summary>Null when <see cref="Epochs"/> covers the whole run; else the run resumed from a checkpoint that did not keep the epochs, and those up to this step are missing.</summary>
    public long? EpochsMissingUpToStep => Training.EvaluationsMissingUpToStep;
}

/// <summary>
/// Trains one sequence classifier from a recipe: the pretrained encoder with a pooler head (or a
/// <see cref="MeanPooledClassifier"/>), encoder/head learning rates (and layer-wise decay), the
/// recipe's mixup / adaptation / adversarial extras, and a dev evaluation after every epoch that
/// picks the best checkpoint. The classification counterpart of the tagger's trainer; the run
/// (<see cref="ClassificationRun"/>) reads the data and scores the best model.
/// </summary>
internal sealed class ClassifierTrainer
{
    private readonly FineTuneRecipe _recipe;
    private readonly ITextTokenizer _tokenizer;
    private readonly IReadOnlyList<string> _labels;
    private readonly Device _device;

    public ClassifierTrainer(FineTuneRecipe recipe, ITextTokenizer tokenizer, IReadOnlyList<string> labels, Device device)
    {
        _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _labels = labels ?? throw new ArgumentNullException(nameof(labels));
        _device = device ?? throw new ArgumentNullException(nameof(device));
    }

    public ITrainingProgress Progress { get; init; } = SilentProgress.Instance;

    public TextWriter Log { get; init; } = TextWriter.Null;

    public ClassifierTrainingResult Train(IReadOnlyList<ClassificationExample> train, IReadOnlyList<ClassificationExample> dev, RunFolder run, string? resumeFrom = null)
    {
        var options = _recipe.Training;
        manual_seed(options.Seed);
        using var model = _recipe.Model.Pooling == ClassificationPooling.Mean
            ? MeanPooledClassifier.FromPretrained(_recipe.Model.Encoder, _labels)
            : PretrainedModel.Load(_recipe.Model.Encoder, ModelTask.SequenceClassification, _labels).Model;
        DevicePlacement.MoveTo(model, _device);
        var labelIds = _labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var examples = train.Select(e => (Ids: ClassificationRun.Encode(_tokenizer, e, _recipe.Model), Label: labelIds[e.Label])).ToArray();
        var pad = model.Config.PadTokenId;
        var batches = new ShuffledBatchSource<(long[] Ids, int Label), ModelInputs>(examples, options.BatchSize, options.Seed,
            (items, _) => ClassificationRun.Collate(items.Select(i => i.Ids).ToArray(), pad, items.Select(i => (long)i.Label).ToArray(), _device));
        var perEpoch = (batches.BatchesPerEpoch!.Value + options.GradAccumulation - 1) / options.GradAccumulation;
        var metric = options.BestMetricKey == "loss" ? "accuracy" : options.BestMetricKey;
        var loopOptions = options with { EvalEvery = perEpoch, MetricForBest = metric, GreaterIsBetter = true };   // accuracy, macro_f1, weighted_f1: larger is better
        // LoRA (when asked for) freezes the encoder before the optimizer is built over what trains.
        var target = LoraFineTuning.Apply(_recipe, model, new ClassifierTrainable(model, _tokenizer, ClassificationModelInfo.From(_recipe.Model)), Log);
        // The recipe's mixup / adaptation / adversarial extras (none: the model's own loss, no hooks).
        using var objective = new ClassificationObjective(_recipe, model, _tokenizer, _device);
        using var optimizer = AdamWOptimizer.Create(objective.NamedParameters(), AdamWSettings.From(loopOptions),
            DomainAlignment.Groups(_recipe, ParameterGroups(_recipe, model)));
        var devIds = dev.Select(e => ClassificationRun.Encode(_tokenizer, e, _recipe.Model)).ToArray();
        TrainingLoop<ModelInputs>? loop = null;
        loop = new TrainingLoop<ModelInputs>(loopOptions, objective.Trainable(target), optimizer, batches,
            b => objective.Loss(b, (double)loop!.GlobalStep / loop.TotalSteps))
        {
            LossParts = objective.Parts,
            Backward = objective.Backward,
            SaveExtraState = objective.SaveState,
            RestoreExtraState = objective.RestoreState,
            Run = run,
            CheckpointAfterEvaluation = true,   // once an epoch: a killed run resumes from its last finished epoch
            Progress = Progress,
            Evaluate = () =>
            {
                var report = ClassificationRun.Score(dev, ClassificationRun.Predict(model, devIds, pad).Select(p => _labels[p.Label]).ToArray());
                Log.WriteLine(MetricsTable.Format(report));
                return new MetricValues(ClassificationRun.Metrics(report));
            },
        };
        if (resumeFrom is not null) loop.ResumeFrom(resumeFrom);
        var result = loop.Train();
        var best = result.BestModelFolder ?? throw new AcclimateException($"{run.Path}: training ended without a usable dev evaluation.");
        LoraFineTuning.Finish(_recipe, best);
        // Every epoch's metrics, those before a resume included (the checkpoint keeps them).
        return new ClassifierTrainingResult(best, result.Evaluations.Select(e => e.Scores.Metrics()).ToArray(), result, pad);
    }

    /// <summary>
    /// The optimizer group of each parameter: the encoder (backbone) at training.learning_rate — or per
    /// layer with optimizer.layer_decay &lt; 1 — and the head at optimizer.head_learning_rate.
    /// </summary>
    public static Func<string, ParameterGroupChoice> ParameterGroups(FineTuneRecipe recipe, TransformerModel model)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(model);
        var lr = recipe.Training.LearningRate;
        var headLr = recipe.Optimizer.HeadLearningRate > 0 ? recipe.Optimizer.HeadLearningRate : lr;
        var layerwise = recipe.Optimizer.LayerDecay < 1 ? LayerwiseLearningRate.Groups(lr, recipe.Optimizer.LayerDecay, model.Config.NumHiddenLayers, headLr) : null;
        var backbone = model.BackboneName + ".";
        return name => layerwise?.Invoke(name)
            ?? (name.StartsWith(backbone, StringComparison.Ordinal) ? new ParameterGroupChoice("encoder", lr) : new ParameterGroupChoice("head", headLr));
    }
}
