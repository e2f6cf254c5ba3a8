using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.Tokenization;
using Acclimate.Runtime;
using Acclimate.Training;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// Trains one <see cref="SequenceLabeler"/> from the recipe's pretrained encoder on weighted
/// sentences: tokenization with label alignment, AdamW with separate encoder/head/CRF rates (and
/// optional layer-wise decay), the shared <see cref="TrainingLoop{TBatch}"/> (warmup, accumulation,
/// clipping, early stopping), and a dev evaluation after every epoch that keeps the best model.
/// Cross-validation and pseudo-labelling call it once per fold / round.
/// </summary>
internal sealed class TaggerTrainer
{
    private readonly FineTuneRecipe _recipe;
    private readonly TagSpace _space;

    public TaggerTrainer(FineTuneRecipe recipe, ITextTokenizer tokenizer, TagSpace space)
    {
        _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));
        _space = space ?? throw new ArgumentNullException(nameof(space));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Words = new WordEncoder(tokenizer, recipe.Model.MaxLength);
        Device = TorchRuntime.ResolveDevice(recipe.Training.Device, "training.device");
    }

    /// <summary>The run's device (training.device resolved): the model, its batches and the models loaded for scoring live there.</summary>
    public Device Device { get; }

    /// <summary>A tagger saved by a run (e.g. its best model), on <see cref="Device"/>.</summary>
    public SequenceLabeler Load(string folder) => DevicePlacement.MoveTo(SequenceLabeler.Load(folder), Device);

    public ITextTokenizer Tokenizer { get; }

    public WordEncoder Words { get; }

    public TagSpace Space => _space;

    /// <summary>Saved with every checkpoint as tagging.json.</summary>
    public TaggingModelInfo Info => new(_space.FileScheme, _space.ModelScheme, _recipe.Model.MaxLength, _recipe.Model.Stride);

    /// <summary>Called after every dev evaluation (once per epoch), as the loop reports it.</summary>
    public Action<EpochEvaluation>? EpochEvaluated { get; init; }

    /// <summary>Which model of a run this trainer trains ("fold 2", "round 1"; empty for a plain run): carried by its <see cref="EpochEvaluation"/>s.</summary>
    public string Label { get; init; } = "";

    /// <summary>Step-level progress (log lines); default silent.</summary>
    public ITrainingProgress Progress { get; init; } = SilentProgress.Instance;

    /// <summary>The metric that picks the best model (larger is better): training.metric_for_best unless it is the default 'loss' (not computed on dev), then f1 (scheme) or accuracy.</summary>
    public string BestMetric => _recipe.Training.BestMetricKey == "loss" ? (_space.ModelScheme is null ? "accuracy" : "f1") : _recipe.Training.BestMetricKey;

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
        return TaggingPredictor.PredictTags(labeler, Words, sentences.Select(s => s.Words).ToArray(), _recipe.Model.Stride)
            .Select(tags => _space.ToFile(tags)).ToArray();
    }

    /// <summary>
    /// Trains into <paramref name="run"/>; the best dev model ends up in <c>run/best-model</c>.
    /// With <paramref name="resumeFrom"/> (a checkpoint of an interrupted run of the same recipe)
    /// training continues exactly where it stopped; <see cref="EpochEvaluated"/> reports only the epochs
    /// after it, while the result holds every epoch of the run (the earlier ones restored from the
    /// checkpoint; see <see cref="TaggerTrainingResult.EpochsMissingUpToStep"/> for old checkpoints).
    /// </summary>
    public TaggerTrainingResult Train(IReadOnlyList<WeightedSentence> train, IReadOnlyList<TaggedSentence> dev, RunFolder run, string? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(run);
        if (dev.Count == 0) throw new DataException("the dev set is empty; it is needed to pick the best checkpoint.");
        var options = _recipe.Training;
        var known = _space.ModelScheme is null ? new[] { "accuracy", "macro_f1" } : new[] { "f1", "precision", "recall", "macro_f1", "strict_f1", "accuracy" };
        if (!known.Contains(BestMetric, StringComparer.Ordinal))
            throw new ConfigException($"training.metric_for_best '{_recipe.Training.MetricForBest}' is not a dev metric of this tagger; expected one of {string.Join(", ", known)}.");
        TorchRuntime.SetThreads(TrainingEnvironment.ThreadsFor(options.Threads));
        manual_seed(options.Seed);
        var examples = Examples(train);
        var (labeler, report) = SequenceLabeler.FromPretrained(_recipe.Model.Encoder, LabelerOptions());
        using var _ = labeler;
        DevicePlacement.MoveTo(labeler, Device);
        var unexpectedEncoderKeys = report.MissingKeys.Where(k => !k.StartsWith(SequenceLabeler.HeadPrefix, StringComparison.Ordinal)).ToArray();
        if (unexpectedEncoderKeys.Length > 0)
            throw new CheckpointException($"{_recipe.Model.Encoder}: the encoder checkpoint lacks {unexpectedEncoderKeys.Length} tensors ({string.Join(", ", unexpectedEncoderKeys.Take(5))}…); it does not match its config.json.");

        var batches = new ShuffledBatchSource<LabelerExample, TaggingBatch>(examples, options.BatchSize, options.Seed,
            (items, _) => TaggingBatch.Collate(items, labeler.Config.PadTokenId, Device));
        var perEpoch = (batches.BatchesPerEpoch!.Value + options.GradAccumulation - 1) / options.GradAccumulation;
        var loopOptions = options with
        {
            EvalEvery = perEpoch,
            MetricForBest = BestMetric,
            // Every dev metric a tagger reports (f1, precision, recall, strict_f1, macro_f1, accuracy) is better when larger.
            GreaterIsBetter = true,
        };
        // LoRA (when asked for) freezes the encoder before the optimizer is built over what trains.
        var target = LoraFineTuning.Apply(_recipe, labeler, new LabelerTrainable(labeler, Tokenizer, Info), log: null);
        // The recipe's adaptation / adversarial extras (none: the plain weighted loss, no hooks).
        using var objective = new TaggingObjective(_recipe, labeler, Words, Device);
        using var optimizer = AdamWOptimizer.Create(objective.NamedParameters(), AdamWSettings.From(loopOptions),
            DomainAlignment.Groups(_recipe, ParameterGroups(_recipe, labeler.Config.NumHiddenLayers)));
        var devWords = dev.Select(s => s.Words).ToArray();
        TrainingLoop<TaggingBatch>? loop = null;
        loop = new TrainingLoop<TaggingBatch>(loopOptions, objective.Trainable(target), optimizer, batches,
            batch => objective.Loss(batch, (double)loop!.GlobalStep / loop.TotalSteps))
        {
            LossParts = objective.Parts,
            Backward = objective.Backward,
            SaveExtraState = objective.SaveState,
            RestoreExtraState = objective.RestoreState,
            Run = run,
            CheckpointAfterEvaluation = true,   // once an epoch: a killed run resumes from its last finished epoch
            Progress = Progress,
            CountTokens = b => b.Tokens,
            Evaluate = () =>
            {
                var predicted = TaggingPredictor.PredictTags(labeler, Words, devWords, _recipe.Model.Stride).Select(t => _space.ToFile(t)).ToArray();
                return TaggingScores.Compute(dev, predicted, _space.FileScheme);
            },
            Evaluated = outcome => EpochEvaluated?.Invoke(ToEpoch(outcome)),
            // The checkpoints keep each epoch's whole scores, so a resumed run's epochs.md has the earlier tables too.
            SaveScores = scores => ((TaggingScores)scores).ToJson(),
            RestoreScores = TaggingScores.FromJson,
        };
        if (resumeFrom is not null) loop.ResumeFrom(resumeFrom);
        var result = loop.Train();
        var best = result.BestModelFolder ?? throw new AcclimateException($"{run.Path}: training ended without a usable dev evaluation (the metric '{BestMetric}' was never finite).");
        LoraFineTuning.Finish(_recipe, best);
        return new TaggerTrainingResult(best, result.Evaluations.Select(ToEpoch).ToArray(), result);

        EpochEvaluation ToEpoch(EvaluationOutcome outcome)
        {
            var epoch = (int)((outcome.Step + perEpoch - 1) / perEpoch);
            var scores = outcome.Scores as TaggingScores
                ?? throw new CheckpointException($"{resumeFrom}: the evaluation at step {outcome.Step} was not kept with a tagger's scores; resume with the recipe the run was started with.");
            return new EpochEvaluation(epoch, outcome.Step, outcome.TrainLoss, scores, outcome.IsBest, Label);
        }
    }

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
