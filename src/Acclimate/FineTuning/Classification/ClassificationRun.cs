using Acclimate.Data.Batching;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.Evaluation;
using Acclimate.Models;
using Acclimate.Tokenization;
using Acclimate.Runtime;
using Acclimate.Training;
using static TorchSharp.torch;
using Acclimate.IO;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Classification;

/// <summary>
/// A sequence-classification run: texts (and optional pairs) truncated head/tail/head+tail,
/// an HF *ForSequenceClassification model (pooler head) or a <see cref="MeanPooledClassifier"/> on the pretrained encoder, the shared
/// training loop with a dev evaluation (accuracy, macro-F1, per class) after every epoch, and the
/// best model scored on dev and test.
/// </summary>
public sealed class ClassificationRun
{
    private readonly FineTuneRecipe _recipe;
    private readonly RunFolder _run;

    /// <summary>A run of <paramref name="recipe"/> (whose task is sequence classification) writing into <paramref name="run"/>.</summary>
    public ClassificationRun(FineTuneRecipe recipe, RunFolder run)
    {
        _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));
        _run = run ?? throw new ArgumentNullException(nameof(run));
    }

    /// <summary>Receives the training loop's events (the CLI's progress bar); silent by default.</summary>
    public ITrainingProgress Progress { get; init; } = SilentProgress.Instance;

    /// <summary>Human-readable progress lines (data read, scores); discarded by default.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;

    /// <summary>A checkpoint of an interrupted run of the same recipe to continue from.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Classification examples of one file.</summary>
    public static IReadOnlyList<ClassificationExample> Read(string path, FineTuneDataOptions data)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: data file not found.");
        var list = ClassificationReader.Read(path, new ClassificationOptions { TextField = data.TextField, TextPairField = data.TextPairField, LabelField = data.LabelField }).ToList();
        if (list.Count == 0) throw new DataException($"{path}: the dataset is empty; expected at least one example.");
        return list;
    }

    /// <summary>Token ids of one example: [CLS] text [SEP] (pair [SEP]), single texts truncated by the recipe's strategy, pairs longest-first.</summary>
    public static long[] Encode(ITextTokenizer tokenizer, ClassificationExample example, FineTuneModelOptions model)
    {
        if (example.TextPair is not null)
            return tokenizer.Encode(example.Text, example.TextPair, new EncodeOptions { MaxLength = model.MaxLength }).Ids.Select(i => (long)i).ToArray();
        var content = tokenizer.Encode(example.Text, null, new EncodeOptions { AddSpecialTokens = false }).Ids.Select(i => (long)i).ToArray();
        var truncation = new TruncationOptions(model.Truncation, model.MaxLength, Math.Min(model.HeadTokens, model.MaxLength - 2));
        return SequenceTruncation.Truncate(content, truncation, new long[] { tokenizer.ClsTokenId }, new long[] { tokenizer.SepTokenId }).InputIds;
    }

    /// <summary>Trains, keeps the best checkpoint on dev, scores dev (and test, when given) with it, and writes <c>results.json</c>, <c>epochs.md</c> and (unless <c>output.save_predictions</c> is off) the best model's predictions into the run folder.</summary>
    public FineTuneResult Execute()
    {
        var data = _recipe.Data;
        if (data.Format != DatasetFormat.Classification) throw new ConfigException($"model.task sequence_classification needs data.format classification (got {data.Format}).");
        var train = TaggingDataset.Subsample(Read(data.Train!, data), data.MaxTrain, data.SubsampleSeed, data.Train!);
        var dev = TaggingDataset.Subsample(Read(data.Dev!, data), data.MaxDev, data.SubsampleSeed + 1, data.Dev!);
        var test = data.Test is null ? null : TaggingDataset.Subsample(Read(data.Test, data), data.MaxTest, data.SubsampleSeed + 2, data.Test);
        // labels_from_all_splits: a label too rare to survive a training subsample (ChemProt has 4
        // AGONIST-INHIBITOR examples in 4,169) still gets its output, so dev/test keep every item.
        var labels = LabelSet.ForLabels(data.LabelsFromAllSplits ? train.Concat(dev).Concat(test ?? Array.Empty<ClassificationExample>()) : train);
        LabelSet.CheckLabelsCovered(labels, dev);
        if (test is not null) LabelSet.CheckLabelsCovered(labels, test);
        Log.WriteLine($"data: {train.Count} train, {dev.Count} dev, {test?.Count ?? 0} test examples; {labels.Count} labels");
        var device = TorchRuntime.ResolveDevice(_recipe.Training.Device, "training.device");
        var tokenizer = TokenizerLoader.FromFolder(_recipe.Model.Tokenizer ?? _recipe.Model.Encoder);
        TorchRuntime.SetThreads(TrainingEnvironment.ThreadsFor(_recipe.Training.Threads));
        var trained = new ClassifierTrainer(_recipe, tokenizer, labels, device) { Progress = Progress, Log = Log }.Train(train, dev, _run, ResumeFrom);
        var result = trained.Training;
        if (trained.EpochsMissingUpToStep is long missing)
            Log.WriteLine($"note: results.json lists no epochs up to step {missing}: the run resumed from a checkpoint written before checkpoints kept the epochs' scores (metrics.jsonl has their eval_* values)");
        var pad = trained.PadTokenId;
        var devIds = dev.Select(e => Encode(tokenizer, e, _recipe.Model)).ToArray();
        var bestFolder = trained.BestModelFolder;
        using var bestModel = DevicePlacement.MoveTo(ClassifierFolder.Load(bestFolder), device);
        using var precision = Autocast.Enter(_recipe.Training.Precision);   // the final scores in the precision dev was scored in
        var devPredictions = Predict(bestModel, devIds, pad);
        var devReport = Score(dev, devPredictions.Select(p => labels[p.Label]).ToArray());
        ClassificationReport? testReport = null;
        IReadOnlyList<(int Label, float[] Probabilities)>? testPredictions = null;
        if (test is not null)
        {
            testPredictions = Predict(bestModel, test.Select(e => Encode(tokenizer, e, _recipe.Model)).ToArray(), pad);
            testReport = Score(test, testPredictions.Select(p => labels[p.Label]).ToArray());
        }
        if (_recipe.Output.SavePredictions)
        {
            ClassificationPredictionsFile.Write(Path.Combine(_run.Path, "predictions-dev.jsonl"), dev, devPredictions, labels);
            if (test is not null) ClassificationPredictionsFile.Write(Path.Combine(_run.Path, "predictions-test.jsonl"), test, testPredictions!, labels);
        }
        var results = new JsonObject
        {
            ["best_model"] = bestFolder,
            ["best_step"] = result.BestStep,
            ["epochs"] = new JsonArray(trained.Epochs.Select(e => (JsonNode)TaggingRun.ToJson(e)).ToArray()),
            ["dev"] = TaggingRun.ToJson(Metrics(devReport)),
            ["test"] = testReport is null ? null : TaggingRun.ToJson(Metrics(testReport)),
        };
        // Only after a resume from a checkpoint that did not keep the earlier epochs: "epochs" lacks those up to this step.
        if (trained.EpochsMissingUpToStep is long lost) results["epochs_missing_up_to_step"] = lost;
        AtomicFile.WriteAllText(Path.Combine(_run.Path, "results.json"), results.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        AtomicFile.WriteAllText(Path.Combine(_run.Path, "epochs.md"), "dev (best checkpoint)\n\n" + MetricsTable.Format(devReport) + (testReport is null ? "" : "\n\ntest (best checkpoint)\n\n" + MetricsTable.Format(testReport)) + "\n");
        return new FineTuneResult(_run.Path, bestFolder, Metrics(devReport), testReport is null ? null : Metrics(testReport), result.BestStep ?? result.GlobalStep);
    }

    /// <summary>Accuracy, macro-F1, weighted F1.</summary>
    public static IReadOnlyDictionary<string, double> Metrics(ClassificationReport report) => new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["accuracy"] = report.Accuracy,
        ["macro_f1"] = report.MacroF1,
        ["weighted_f1"] = report.WeightedAverage.F1,
    };

    /// <summary>Accuracy and per-class precision/recall/F1 of <paramref name="predicted"/> labels against the gold examples (same order).</summary>
    public static ClassificationReport Score(IReadOnlyList<ClassificationExample> gold, IReadOnlyList<string> predicted) =>
        ClassificationMetrics.Compute(gold.Select(e => e.Label).ToArray(), predicted);

    /// <summary>Best label id and the label probabilities of each input, in eval mode without gradients.</summary>
    public static IReadOnlyList<(int Label, float[] Probabilities)> Predict(TransformerModel model, IReadOnlyList<long[]> inputs, long padId, int batchSize = 32)
    {
        var results = new List<(int, float[])>(inputs.Count);
        using var mode = new EvalModeScope(model);
        using var _ = no_grad();
        var device = model.parameters().First().device;
        for (var first = 0; first < inputs.Count; first += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = inputs.Skip(first).Take(batchSize).ToArray();
            var logits = model.Forward(Collate(chunk, padId, null, device)).Logits;
            var probs = TensorData.ToArray<float>(nn.functional.softmax(logits, -1).to(ScalarType.Float32).cpu());
            var n = (int)logits.shape[1];
            for (var r = 0; r < chunk.Length; r++)
            {
                var p = probs.Skip(r * n).Take(n).ToArray();
                results.Add((Array.IndexOf(p, p.Max()), p));
            }
        }
        return results;
    }

    internal static ModelInputs Collate(IReadOnlyList<long[]> rows, long padId, long[]? labels, Device device)
    {
        var width = RightPadding.Width(rows);
        var shape = new long[] { rows.Count, width };
        return new ModelInputs(tensor(RightPadding.Pad(rows, width, padId), shape, device: device), tensor(RightPadding.Mask(rows.Select(r => r.Length).ToArray(), width), shape, device: device))
        {
            Labels = labels is null ? null : tensor(labels, device: device),
        };
    }
}
