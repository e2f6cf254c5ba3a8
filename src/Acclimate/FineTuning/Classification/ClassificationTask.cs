using System.Text.Json.Nodes;
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

/// <summary>One encoded training example of a sequence classifier: its token ids and label id.</summary>
internal sealed record ClassificationItem(long[] Ids, int Label);

/// <summary>
/// Sequence classification as a <see cref="FineTuningTrainer"/> task: an HF *ForSequenceClassification
/// model (pooler head) or a <see cref="MeanPooledClassifier"/> on the recipe's pretrained encoder,
/// texts (and optional pairs) truncated head/tail/head+tail, the model's cross-entropy, encoder/head
/// learning rates, and dev scores (accuracy, macro-F1, weighted F1; the per-class table goes to the log).
/// Mixup and domain alignment work on the pooled representation the head classifies.
/// </summary>
internal sealed class ClassificationTask : IFineTuningTask<TransformerModel, ClassificationItem, ModelInputs, ClassificationExample>
{
    private readonly FineTuneRecipe _recipe;
    private readonly ITextTokenizer _tokenizer;
    private readonly IReadOnlyList<string> _labels;
    private readonly TextWriter _log;

    /// <param name="recipe">The run's recipe.</param>
    /// <param name="tokenizer">The encoder's tokenizer.</param>
    /// <param name="labels">The label of each output, in order.</param>
    /// <param name="log">Receives each dev evaluation's per-class table.</param>
    public ClassificationTask(FineTuneRecipe recipe, ITextTokenizer tokenizer, IReadOnlyList<string> labels, TextWriter? log = null)
    {
        _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _labels = labels ?? throw new ArgumentNullException(nameof(labels));
        _log = log ?? TextWriter.Null;
        Device = TorchRuntime.ResolveDevice(recipe.Training.Device, "training.device");
    }

    /// <inheritdoc />
    public Device Device { get; }

    /// <summary>The label of each output.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>training.metric_for_best, or accuracy when it is the default 'loss' (not computed on dev).</summary>
    public string BestMetric => _recipe.Training.BestMetricKey == "loss" ? "accuracy" : _recipe.Training.BestMetricKey;

    /// <inheritdoc />
    public IReadOnlyCollection<string> DevMetrics { get; } = new[] { "accuracy", "macro_f1", "weighted_f1" };

    /// <summary>Classification examples of one file (an error names the file when it is missing or empty).</summary>
    public static IReadOnlyList<ClassificationExample> Read(string path, FineTuneDataOptions data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!File.Exists(path)) throw new DataException($"{path}: data file not found.");
        var list = ClassificationReader.Read(path, new ClassificationOptions { TextField = data.TextField, TextPairField = data.TextPairField, LabelField = data.LabelField }).ToList();
        if (list.Count == 0) throw new DataException($"{path}: the dataset is empty; expected at least one example.");
        return list;
    }

    /// <summary>Token ids of each example, cut as the recipe says.</summary>
    public IReadOnlyList<long[]> Encode(IReadOnlyList<ClassificationExample> examples) =>
        examples.Select(e => ClassificationPredictor.Encode(_tokenizer, e, _recipe.Model)).ToArray();

    /// <summary>Training items: token ids and label ids.</summary>
    public IReadOnlyList<ClassificationItem> Items(IReadOnlyList<ClassificationExample> examples)
    {
        var labelIds = _labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        return examples.Select(e => new ClassificationItem(ClassificationPredictor.Encode(_tokenizer, e, _recipe.Model), labelIds[e.Label])).ToArray();
    }

    /// <summary>The best label and label probabilities of each example, computed in the recipe's <c>training.precision</c> (as dev evaluation was).</summary>
    public IReadOnlyList<(int Label, float[] Probabilities)> Predict(TransformerModel model, IReadOnlyList<ClassificationExample> examples)
    {
        using var precision = Autocast.Enter(_recipe.Training.Precision);
        return ClassificationPredictor.Predict(model, Encode(examples), model.Config.PadTokenId);
    }

    /// <summary>Scores predictions of <see cref="Predict"/> against the gold examples.</summary>
    public ClassificationReport Score(IReadOnlyList<ClassificationExample> gold, IReadOnlyList<(int Label, float[] Probabilities)> predicted) =>
        ClassificationPredictor.Score(gold, predicted.Select(p => _labels[p.Label]).ToArray());

    /// <summary>A classifier saved by a run (e.g. its best model), on <see cref="Device"/>.</summary>
    public TransformerModel Load(string folder) => DevicePlacement.MoveTo(ClassifierFolder.Load(folder), Device);

    /// <inheritdoc />
    public TransformerModel CreateModel()
    {
        var model = _recipe.Model.Pooling == ClassificationPooling.Mean
            ? MeanPooledClassifier.FromPretrained(_recipe.Model.Encoder, _labels)
            : PretrainedModel.Load(_recipe.Model.Encoder, ModelTask.SequenceClassification, _labels).Model;
        return DevicePlacement.MoveTo(model, Device);
    }

    /// <inheritdoc />
    public ITrainableModel Trainable(TransformerModel model) => new ClassifierTrainable(model, _tokenizer, ClassificationModelInfo.From(_recipe.Model));

    /// <inheritdoc />
    public Func<string, ParameterGroupChoice> ParameterGroups(TransformerModel model) => ParameterGroups(_recipe, model);

    /// <inheritdoc />
    public ModelInputs Collate(TransformerModel model, IReadOnlyList<ClassificationItem> items) =>
        ClassificationPredictor.Collate(items.Select(i => i.Ids).ToArray(), model.Config.PadTokenId, items.Select(i => (long)i.Label).ToArray(), Device);

    /// <inheritdoc />
    public Func<ModelInputs, long>? CountTokens => null;

    /// <inheritdoc />
    public Tensor Loss(TransformerModel model, ModelInputs batch) => model.Forward(batch).Loss!;

    /// <summary>The encoder and the head's pooling; the features are the pooled representations the head classifies.</summary>
    public TaskPass Pass(TransformerModel model, ModelInputs batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var pooler = Pooler(model);
        var mask = batch.AttentionMask ?? ones_like(batch.InputIds);
        var labels = batch.Labels!.reshape(-1).to(ScalarType.Int64);
        var pooled = pooler.Pool(model.Encoder.Forward(batch.InputIds, mask, batch.TokenTypeIds), mask);
        return new TaskPass(() => nn.functional.cross_entropy(pooler.Classify(pooled), labels), () => pooled)
        {
            Mixable = new MixupInputs(pooled, labels, pooler.Classify),
        };
    }

    /// <inheritdoc />
    public Tensor InputIds(ModelInputs batch) => batch.InputIds;

    /// <summary>The target text's lines, cut as training texts are; features as in <see cref="Pass"/>.</summary>
    public ITargetFeatures DomainTargets(TransformerModel model)
    {
        var pooler = Pooler(model);
        var path = _recipe.Adaptation.TargetText!;
        var ids = TargetText.ReadTexts(_recipe.Adaptation)
            .Select((text, i) => ClassificationPredictor.Encode(_tokenizer, new ClassificationExample(text, null, "", path, i + 1), _recipe.Model)).ToList();
        return new TargetFeatures<long[]>(new TargetBatches<long[]>(ids, _recipe.Training.BatchSize, _recipe.Training.Seed), rows =>
        {
            var batch = ClassificationPredictor.Collate(rows, model.Config.PadTokenId, null, Device);
            var mask = batch.AttentionMask!;
            return pooler.Pool(model.Encoder.Forward(batch.InputIds, mask), mask);
        });
    }

    /// <inheritdoc />
    public IEvaluationScores Evaluate(TransformerModel model, IReadOnlyList<ClassificationExample> dev)
    {
        var report = ClassificationPredictor.Score(dev, ClassificationPredictor.Predict(model, Encode(dev), model.Config.PadTokenId).Select(p => _labels[p.Label]).ToArray());
        _log.WriteLine(MetricsTable.Format(report));
        return new MetricValues(ClassificationPredictor.Metrics(report));
    }

    /// <summary>Null: a classifier's checkpoints keep its dev metric values only.</summary>
    public Func<IEvaluationScores, JsonNode?>? SaveScores => null;

    /// <inheritdoc />
    public Func<JsonNode, IEvaluationScores>? RestoreScores => null;

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

    private static IPooledClassifier Pooler(TransformerModel model) =>
        model as IPooledClassifier ?? throw new ArgumentException($"{model.GetType().Name} does not expose its pooled representation.", nameof(model));
}
