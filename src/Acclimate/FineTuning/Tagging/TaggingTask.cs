using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.Tokenization;
using Acclimate.Runtime;
using Acclimate.Training;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.DomainAdaptation;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// Token classification as a <see cref="FineTuningTrainer"/> task: a <see cref="SequenceLabeler"/>
/// (linear / BiLSTM / CNN head, optional CRF) on the recipe's pretrained encoder, trained on weighted
/// sentences cut into chunks that fit the model with labels aligned to subwords, the weighted
/// tagging loss, encoder/head/CRF learning rates, and dev scores (seqeval entity scores, or per-tag
/// scores for plain tags) of the tags predicted with the sliding windows of <c>model.stride</c>.
/// Runs, cross-validation folds and pseudo-label rounds share one task per run.
/// </summary>
internal sealed class TaggingTask : IFineTuningTask<SequenceLabeler, LabelerExample, TaggingBatch, TaggedSentence>
{
    private readonly FineTuneRecipe _recipe;
    private readonly TagSpace _space;

    public TaggingTask(FineTuneRecipe recipe, ITextTokenizer tokenizer, TagSpace space)
    {
        _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));
        _space = space ?? throw new ArgumentNullException(nameof(space));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Words = new WordEncoder(tokenizer, recipe.Model.MaxLength);
        Device = TorchRuntime.ResolveDevice(recipe.Training.Device, "training.device");
    }

    /// <inheritdoc />
    public Device Device { get; }

    /// <summary>A tagger saved by a run (e.g. its best model), on <see cref="Device"/>.</summary>
    public SequenceLabeler Load(string folder) => DevicePlacement.MoveTo(SequenceLabeler.Load(folder), Device);

    public ITextTokenizer Tokenizer { get; }

    public WordEncoder Words { get; }

    public TagSpace Space => _space;

    /// <summary>Saved with every checkpoint as tagging.json.</summary>
    public TaggingModelInfo Info => new(_space.FileScheme, _space.ModelScheme, _recipe.Model.MaxLength, _recipe.Model.Stride);

    /// <summary>The metric that picks the best model (larger is better): training.metric_for_best unless it is the default 'loss' (not computed on dev), then f1 (scheme) or accuracy.</summary>
    public string BestMetric => _recipe.Training.BestMetricKey == "loss" ? (_space.ModelScheme is null ? "accuracy" : "f1") : _recipe.Training.BestMetricKey;

    /// <inheritdoc />
    public IReadOnlyCollection<string> DevMetrics => _space.ModelScheme is null ? new[] { "accuracy", "macro_f1" } : new[] { "f1", "precision", "recall", "macro_f1", "strict_f1", "accuracy" };

    /// <summary>The head's options for this run's labels.</summary>
    public SequenceLabelerOptions LabelerOptions()
    {
        var m = _recipe.Model;
        return new SequenceLabelerOptions
        {
            Labels = _space.Labels,
            Head = m.Head,
            UseCrf = m.Crf,
            CrfConstraints = m.Crf && m.ConstrainCrf ? _space.Constraints() : null,
            Fusion = m.Fusion,
            FusedLayers = m.FusedLayers,
            Dropout = m.Dropout,
            LstmHiddenSize = m.LstmHiddenSize,
            LstmLayers = m.LstmLayers,
            CnnKernelSizes = m.CnnKernelSizes,
            CnnChannels = m.CnnChannels,
        };
    }

    /// <summary>Training examples: each sentence cut into chunks that fit the model, labels aligned to subwords.</summary>
    public IReadOnlyList<LabelerExample> Examples(IReadOnlyList<WeightedSentence> sentences)
    {
        var examples = new List<LabelerExample>();
        foreach (var (sentence, weight) in sentences)
        {
            if (sentence.Words.Count == 0) continue;
            var tags = _space.ToModel(sentence.Tags);
            foreach (var (from, to) in Words.Chunks(sentence.Words))
            {
                var input = Words.EncodeTruncated(sentence.Words, from, to);
                var chunkTags = _space.Slice(tags, from, to);
                long[] labels;
                try { labels = SubwordAlignment.AlignLabels(chunkTags, input.WordIds, _space.Labels, _recipe.Model.LabelAlignment); }
                catch (DataException e) { throw new DataException($"{sentence.SourceFile}:{sentence.LineNumber}: {e.Message}", e); }
                examples.Add(new LabelerExample(input, labels, (float)weight));
            }
        }
        if (examples.Count == 0) throw new DataException("the training set is empty: no sentence has a word.");
        return examples;
    }

    /// <summary>Predicted tags in the files' scheme, computed in the recipe's <c>training.precision</c> (as dev evaluation was).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Predict(SequenceLabeler labeler, IReadOnlyList<TaggedSentence> sentences)
    {
        using var precision = Autocast.Enter(_recipe.Training.Precision);
        return PredictTags(labeler, sentences);
    }

    private IReadOnlyList<IReadOnlyList<string>> PredictTags(SequenceLabeler labeler, IReadOnlyList<TaggedSentence> sentences) =>
        TaggingPredictor.PredictTags(labeler, Words, sentences.Select(s => s.Words).ToArray(), _recipe.Model.Stride)
            .Select(tags => _space.ToFile(tags)).ToArray();

    /// <summary>
    /// Trains one tagger with <paramref name="trainer"/> into <paramref name="run"/>; the best dev
    /// model ends up in <c>run/best-model</c>. <paramref name="epochEvaluated"/> sees each epoch's dev
    /// evaluation as it happens (labelled with <paramref name="label"/>: "fold 2", "round 1", or empty);
    /// the result holds every epoch of the run (see <see cref="TaggerTrainingResult.EpochsMissingUpToStep"/>
    /// for a resume from an old checkpoint).
    /// </summary>
    public TaggerTrainingResult Train(FineTuningTrainer trainer, IReadOnlyList<WeightedSentence> train, IReadOnlyList<TaggedSentence> dev, RunFolder run,
        string? resumeFrom = null, string label = "", Action<EpochEvaluation>? epochEvaluated = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(train);
        var trained = trainer.Train(this, Examples(train), dev, run, resumeFrom, (outcome, epoch) => epochEvaluated?.Invoke(ToEpoch(outcome, epoch)));
        return new TaggerTrainingResult(trained.BestModelFolder, trained.Evaluations.Select(o => ToEpoch(o, trained.EpochOf(o.Step))).ToArray(), trained.Loop);

        EpochEvaluation ToEpoch(EvaluationOutcome outcome, int epoch)
        {
            var scores = outcome.Scores as TaggingScores
                ?? throw new CheckpointException($"{resumeFrom}: the evaluation at step {outcome.Step} was not kept with a tagger's scores; resume with the recipe the run was started with.");
            return new EpochEvaluation(epoch, outcome.Step, outcome.TrainLoss, scores, outcome.IsBest, label);
        }
    }

    /// <inheritdoc />
    public SequenceLabeler CreateModel()
    {
        var (labeler, report) = SequenceLabeler.FromPretrained(_recipe.Model.Encoder, LabelerOptions());
        try
        {
            DevicePlacement.MoveTo(labeler, Device);
            var unexpectedEncoderKeys = report.MissingKeys.Where(k => !k.StartsWith(SequenceLabeler.HeadPrefix, StringComparison.Ordinal)).ToArray();
            if (unexpectedEncoderKeys.Length > 0)
                throw new CheckpointException($"{_recipe.Model.Encoder}: the encoder checkpoint lacks {unexpectedEncoderKeys.Length} tensors ({string.Join(", ", unexpectedEncoderKeys.Take(5))}…); it does not match its config.json.");
            return labeler;
        }
        catch
        {
            labeler.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ITrainableModel Trainable(SequenceLabeler model) => new LabelerTrainable(model, Tokenizer, Info);

    /// <inheritdoc />
    public Func<string, ParameterGroupChoice> ParameterGroups(SequenceLabeler model) => ParameterGroups(_recipe, model.Config.NumHiddenLayers);

    /// <inheritdoc />
    public TaggingBatch Collate(SequenceLabeler model, IReadOnlyList<LabelerExample> items) => TaggingBatch.Collate(items, model.Config.PadTokenId, Device);

    /// <inheritdoc />
    public Func<TaggingBatch, long>? CountTokens => b => b.Tokens;

    /// <inheritdoc />
    public Tensor Loss(SequenceLabeler model, TaggingBatch batch) => WeightedTaggingLoss.Compute(model, batch);

    /// <summary>The labeler's forward pass; the features are the mean of each chunk's last-layer token features over its real tokens.</summary>
    public TaskPass Pass(SequenceLabeler model, TaggingBatch batch)
    {
        var output = model.Run(batch.Batch);
        return new TaskPass(
            () => WeightedTaggingLoss.Compute(model, batch, output),
            () => MeanPoolingClassificationHead.MeanPool(output.Encoder.LastHiddenState, batch.Batch.AttentionMask));
    }

    /// <inheritdoc />
    public Tensor InputIds(TaggingBatch batch) => batch.Batch.InputIds;

    /// <summary>The target text's sentences, cut into chunks as training sentences are; features as in <see cref="Pass"/>.</summary>
    public ITargetFeatures DomainTargets(SequenceLabeler model)
    {
        var inputs = new List<LabelerInput>();
        foreach (var sentence in TargetText.ReadSentences(_recipe.Adaptation))
            foreach (var (from, to) in Words.Chunks(sentence))
                inputs.Add(Words.EncodeTruncated(sentence, from, to));
        return new TargetFeatures<LabelerInput>(new TargetBatches<LabelerInput>(inputs, _recipe.Training.BatchSize, _recipe.Training.Seed), rows =>
        {
            var batch = model.Collate(rows);
            return MeanPoolingClassificationHead.MeanPool(model.Encoder.Forward(batch.InputIds, batch.AttentionMask).LastHiddenState, batch.AttentionMask);
        });
    }

    /// <inheritdoc />
    public IEvaluationScores Evaluate(SequenceLabeler model, IReadOnlyList<TaggedSentence> dev) => TaggingScores.Compute(dev, PredictTags(model, dev), _space.FileScheme);

    /// <summary>The checkpoints keep each epoch's whole scores, so a resumed run's epochs.md has the earlier tables too.</summary>
    public Func<IEvaluationScores, JsonNode?>? SaveScores => scores => ((TaggingScores)scores).ToJson();

    /// <inheritdoc />
    public Func<JsonNode, IEvaluationScores>? RestoreScores => TaggingScores.FromJson;

    /// <summary>
    /// The optimizer group of each parameter: <c>crf</c> (the CRF's transition scores) at
    /// optimizer.crf_learning_rate, <c>head</c> (fusion, LSTM/CNN, classifier) at
    /// optimizer.head_learning_rate, the encoder at training.learning_rate — or, with
    /// optimizer.layer_decay &lt; 1, per layer decaying from it (<see cref="LayerwiseLearningRate"/>).
    /// </summary>
    public static Func<string, ParameterGroupChoice> ParameterGroups(FineTuneRecipe recipe, int numLayers)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var lr = recipe.Training.LearningRate;
        var o = recipe.Optimizer;
        var headLr = o.HeadLearningRate > 0 ? o.HeadLearningRate : lr;
        var crfLr = o.CrfLearningRate > 0 ? o.CrfLearningRate : headLr;
        var layerwise = o.LayerDecay < 1 ? LayerwiseLearningRate.Groups(lr, o.LayerDecay, numLayers, headLr) : null;
        return name =>
            name.StartsWith(SequenceLabeler.HeadPrefix + "crf.", StringComparison.Ordinal) ? new ParameterGroupChoice("crf", crfLr)
            : name.StartsWith(SequenceLabeler.HeadPrefix, StringComparison.Ordinal) ? new ParameterGroupChoice("head", headLr)
            : layerwise?.Invoke(name) ?? new ParameterGroupChoice("encoder", lr);
    }
}
