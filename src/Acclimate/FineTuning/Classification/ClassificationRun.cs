using System.Text.Json.Nodes;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.Evaluation;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.IO;
using Acclimate.Tokenization;

namespace Acclimate.FineTuning.Classification;

/// <summary>
/// A sequence-classification run: texts (and optional pairs) truncated head/tail/head+tail,
/// an HF *ForSequenceClassification model (pooler head) or a <see cref="MeanPooledClassifier"/> on the pretrained encoder, the shared
/// training loop with a dev evaluation (accuracy, macro-F1, per class) after every epoch, and the
/// best model scored on dev and test.
/// </summary>
internal sealed class ClassificationRun
{
    private readonly RunContext _context;

    /// <summary>A run of <see cref="RunContext.Recipe"/> (whose task is sequence classification) writing into <see cref="RunContext.Folder"/>.</summary>
    public ClassificationRun(RunContext context) => _context = context ?? throw new ArgumentNullException(nameof(context));

    /// <summary>Trains, keeps the best checkpoint on dev, scores dev (and test, when given) with it, and writes <c>results.json</c>, <c>epochs.md</c> and (unless <c>output.save_predictions</c> is off) the best model's predictions into the run folder.</summary>
    public FineTuneResult Execute()
    {
        var recipe = _context.Recipe;
        var data = recipe.Data;
        if (data.Format != DatasetFormat.Classification) throw new ConfigException($"model.task sequence_classification needs data.format classification (got {data.Format}).");
        var train = TaggingDataset.Subsample(ClassificationTask.Read(data.Train!, data), data.MaxTrain, data.SubsampleSeed, data.Train!);
        var dev = TaggingDataset.Subsample(ClassificationTask.Read(data.Dev!, data), data.MaxDev, data.SubsampleSeed + 1, data.Dev!);
        var test = data.Test is null ? null : TaggingDataset.Subsample(ClassificationTask.Read(data.Test, data), data.MaxTest, data.SubsampleSeed + 2, data.Test);
        // labels_from_all_splits: a label too rare to survive a training subsample (ChemProt has 4
        // AGONIST-INHIBITOR examples in 4,169) still gets its output, so dev/test keep every item.
        var labels = LabelSet.ForLabels(data.LabelsFromAllSplits ? train.Concat(dev).Concat(test ?? Array.Empty<ClassificationExample>()) : train);
        LabelSet.CheckLabelsCovered(labels, dev);
        if (test is not null) LabelSet.CheckLabelsCovered(labels, test);
        _context.Log.WriteLine($"data: {train.Count} train, {dev.Count} dev, {test?.Count ?? 0} test examples; {labels.Count} labels");
        var tokenizer = TokenizerLoader.FromFolder(recipe.Model.Tokenizer ?? recipe.Model.Encoder);
        var task = new ClassificationTask(recipe, tokenizer, labels, _context.Log);
        var trained = _context.Trainer.Train(task, task.Items(train), dev, _context.Folder, _context.ResumeFrom);
        var result = trained.Loop;
        if (trained.EvaluationsMissingUpToStep is long missing)
            _context.Log.WriteLine($"note: results.json lists no epochs up to step {missing}: the run resumed from a checkpoint written before checkpoints kept the epochs' scores (metrics.jsonl has their eval_* values)");
        var bestFolder = trained.BestModelFolder;
        using var bestModel = task.Load(bestFolder);
        // The final scores in the precision dev was scored in.
        var devPredictions = task.Predict(bestModel, dev);
        var devReport = task.Score(dev, devPredictions);
        ClassificationReport? testReport = null;
        IReadOnlyList<(int Label, float[] Probabilities)>? testPredictions = null;
        if (test is not null)
        {
            testPredictions = task.Predict(bestModel, test);
            testReport = task.Score(test, testPredictions);
        }
        if (recipe.Output.SavePredictions)
        {
            ClassificationPredictionsFile.Write(Path.Combine(_context.Folder.Path, "predictions-dev.jsonl"), dev, devPredictions, labels);
            if (test is not null) ClassificationPredictionsFile.Write(Path.Combine(_context.Folder.Path, "predictions-test.jsonl"), test, testPredictions!, labels);
        }
        var results = new JsonObject
        {
            ["best_model"] = bestFolder,
            ["best_step"] = result.BestStep,
            ["epochs"] = new JsonArray(trained.Evaluations.Select(e => (JsonNode)RunResults.Metrics(e.Scores.Metrics())).ToArray()),
            ["dev"] = RunResults.Metrics(ClassificationPredictor.Metrics(devReport)),
            ["test"] = testReport is null ? null : RunResults.Metrics(ClassificationPredictor.Metrics(testReport)),
        };
        // Only after a resume from a checkpoint that did not keep the earlier epochs: "epochs" lacks those up to this step.
        if (trained.EvaluationsMissingUpToStep is long lost) results["epochs_missing_up_to_step"] = lost;
        RunResults.Write(_context.Folder.Path, results);
        AtomicFile.WriteAllText(Path.Combine(_context.Folder.Path, "epochs.md"), "dev (best checkpoint)\n\n" + MetricsTable.Format(devReport) + (testReport is null ? "" : "\n\ntest (best checkpoint)\n\n" + MetricsTable.Format(testReport)) + "\n");
        return new FineTuneResult(_context.Folder.Path, bestFolder, ClassificationPredictor.Metrics(devReport), testReport is null ? null : ClassificationPredictor.Metrics(testReport), result.BestStep ?? result.GlobalStep);
    }
}
