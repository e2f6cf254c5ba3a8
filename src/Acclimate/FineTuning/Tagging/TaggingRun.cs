using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.Reporting;
using Acclimate.Tokenization;
using Acclimate.Runtime;
using Acclimate.Training;
using Acclimate.IO;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// A whole token-classification run from a recipe: read the splits, build the label set (any dev or
/// test tag missing from it is an error naming file and line), train (plain, k-fold
/// cross-validation, or with pseudo-label rounds), score the best model on dev and test, and write
/// <c>results.json</c>, <c>epochs.md</c> (the per-epoch dev tables), predictions and <c>report.md</c>
/// into the run folder.
/// </summary>
internal sealed class TaggingRun
{
    private readonly RunContext _context;
    private readonly FineTuneRecipe _recipe;
    private readonly RunFolder _run;

    /// <summary>A run of <see cref="RunContext.Recipe"/> (whose task is token classification) writing into <see cref="RunContext.Folder"/>.</summary>
    public TaggingRun(RunContext context)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _recipe = context.Recipe;
        _run = context.Folder;
    }

    private TextWriter Log => _context.Log;

    /// <summary>Trains (plain, cross-validated or with pseudo-label rounds, as the recipe says), scores dev (and test, when given) with the best model, and writes the results into the run folder.</summary>
    public FineTuneResult Execute()
    {
        // Fails before any data is read when training.device names a device this machine lacks (the trainers resolve it again).
        TorchRuntime.ResolveDevice(_recipe.Training.Device, "training.device");
        var data = TaggingDataset.Load(_recipe.Data);
        var space = TagSpace.ForTraining(data.Train, _recipe.Data.FileScheme, _recipe.Data.ModelScheme,
            _recipe.Data.LabelsFromAllSplits ? data.Dev.Concat(data.Test ?? Array.Empty<TaggedSentence>()) : null);
        space.CheckCovered(data.Train);
        space.CheckCovered(data.Dev);
        if (data.Test is not null) space.CheckCovered(data.Test);
        Log.WriteLine($"data: {data.Train.Count} train, {data.Dev.Count} dev, {data.Test?.Count ?? 0} test sentences; {space.Labels.Count} labels");
        var tokenizer = TokenizerLoader.FromFolder(_recipe.Model.Tokenizer ?? _recipe.Model.Encoder);
        if (_context.ResumeFrom is not null && (_recipe.CrossValidation.Folds > 0 || _recipe.PseudoLabels.Unlabeled is not null))
            throw new ConfigException("--resume continues a plain run; cross-validation and pseudo-label rounds cannot be resumed (rerun them).");
        if (_recipe.CrossValidation.Folds > 0 && _recipe.Data.TrainWeights is not null)
            throw new ConfigException("data.train_weights is not supported with cross_validation yet (the folds train unweighted); remove one of them.");
        if (_recipe.CrossValidation.Folds > 0)
            return new CrossValidationRun(_context, tokenizer, space).Execute(data);

        var task = new TaggingTask(_recipe, tokenizer, space);
        var trainer = _context.Trainer;
        var epochsText = new StringBuilder();
        // data.train_weights scales each gold sentence's weight (pseudo-label rounds: W1 × its weight).
        var goldWeights = _recipe.Data.TrainWeights is { } weightsFile
            ? SampleWeightsFile.ForSentences(weightsFile, TaggingDataset.ReadFile(_recipe.Data.Train!, _recipe.Data), data.Train)
            : data.Train.Select(_ => 1.0).ToArray();
        if (_recipe.Data.TrainWeights is not null) Log.WriteLine($"sample weights from {_recipe.Data.TrainWeights}: mean {goldWeights.Average():F4}, min {goldWeights.Min():F4}, max {goldWeights.Max():F4}");
        var train = data.Train.Select((s, i) => new WeightedSentence(s, goldWeights[i] * (_recipe.PseudoLabels.Unlabeled is null ? 1.0 : _recipe.PseudoLabels.GoldWeight))).ToList();
        FineTuneResult? result = null;
        var rounds = _recipe.PseudoLabels.Unlabeled is null ? 0 : _recipe.PseudoLabels.Rounds;
        for (var round = 0; round <= rounds; round++)
        {
            var folder = rounds == 0 ? _run : RunFolder.At(Path.Combine(_run.Path, $"round-{round}"));
            var label = rounds == 0 ? "" : $"round {round}";
            var trained = task.Train(trainer, train, data.Dev, folder, _context.ResumeFrom, label, _context.EpochEvaluated);
            if (trained.EpochsMissingUpToStep is long missing)
            {
                var note = $"epochs up to step {missing} are missing from this table: the run resumed from a checkpoint written before checkpoints kept the epochs' scores (metrics.jsonl has their eval_* values)";
                Log.WriteLine("note: " + note);
                epochsText.Append(CultureInfo.InvariantCulture, $"\n({note}.)\n");
            }
            foreach (var epoch in trained.Epochs) epochsText.Append(epoch.ToMarkdown());
            result = ScoreBest(task, trained, data, folder, epochsText, label);
            if (round < rounds)
            {
                var pseudo = PseudoLabeling.Label(trained.BestModelFolder, task, _recipe.PseudoLabels, Log);
                Log.WriteLine($"pseudo-labels round {round + 1}: kept {pseudo.Count} sentences at confidence >= {_recipe.PseudoLabels.Threshold}");
                epochsText.Append(CultureInfo.InvariantCulture, $"\npseudo-labels for round {round + 1}: {pseudo.Count} sentences kept (threshold {_recipe.PseudoLabels.Threshold}, weight {_recipe.PseudoLabels.PseudoWeight})\n");
                train = data.Train.Select((s, i) => new WeightedSentence(s, goldWeights[i] * _recipe.PseudoLabels.GoldWeight))
                    .Concat(pseudo.Select(s => new WeightedSentence(s, _recipe.PseudoLabels.PseudoWeight))).ToList();
            }
        }
        AtomicFile.WriteAllText(Path.Combine(_run.Path, "epochs.md"), epochsText.ToString());
        // The run's result is its last round's: written where a plain run's is, so sweeps and
        // scripts read a pseudo-label run like any other.
        if (rounds > 0)
            AtomicFile.WriteAllText(Path.Combine(_run.Path, RunResults.FileName), File.ReadAllText(Path.Combine(_run.Path, $"round-{rounds}", RunResults.FileName)));
        return result!;
    }

    private FineTuneResult ScoreBest(TaggingTask task, TaggerTrainingResult trained, TaggingDataset data, RunFolder folder, StringBuilder epochsText, string label)
    {
        using var best = task.Load(trained.BestModelFolder);
        var devPred = task.Predict(best, data.Dev);
        var dev = TaggingScores.Compute(data.Dev, devPred, task.Space.FileScheme);
        TaggingScores? test = null;
        IReadOnlyList<IReadOnlyList<string>>? testPred = null;
        if (data.Test is not null)
        {
            testPred = task.Predict(best, data.Test);
            test = TaggingScores.Compute(data.Test, testPred, task.Space.FileScheme);
        }
        if (_recipe.Output.SavePredictions)
        {
            TaggingPredictionsFile.Write(Path.Combine(folder.Path, "predictions-dev.jsonl"), data.Dev, devPred);
            if (test is not null) TaggingPredictionsFile.Write(Path.Combine(folder.Path, "predictions-test.jsonl"), data.Test!, testPred!);
        }
        var bestStep = trained.Loop.BestStep ?? trained.Loop.GlobalStep;
        epochsText.Append(CultureInfo.InvariantCulture, $"\n### {(label.Length > 0 ? label + ": " : "")}best checkpoint (step {bestStep}) on dev\n\n{dev.ToMarkdown()}");
        if (test is not null) epochsText.Append(CultureInfo.InvariantCulture, $"\n### {(label.Length > 0 ? label + ": " : "")}best checkpoint (step {bestStep}) on test\n\n{test.ToMarkdown()}");
        var results = new JsonObject
        {
            ["best_model"] = trained.BestModelFolder,
            ["best_step"] = bestStep,
            ["metric_for_best"] = task.BestMetric,
            ["epochs"] = new JsonArray(trained.Epochs.Select(e => (JsonNode?)new JsonObject
            {
                ["epoch"] = e.Epoch, ["step"] = e.Step, ["train_loss"] = RunResults.Value(e.TrainLoss), ["is_best"] = e.IsBest, ["dev"] = RunResults.Metrics(e.Scores.Metrics()),
            }).ToArray()),
            ["dev"] = RunResults.Metrics(dev.Metrics()),
            ["test"] = test is null ? null : RunResults.Metrics(test.Metrics()),
            ["train_sentences"] = data.Train.Count,
            ["dev_sentences"] = data.Dev.Count,
            ["test_sentences"] = data.Test?.Count,
        };
        // Only after a resume from a checkpoint that did not keep the earlier epochs: "epochs" lacks those up to this step.
        if (trained.EpochsMissingUpToStep is long missing) results["epochs_missing_up_to_step"] = missing;
        RunResults.Write(folder.Path, results);
        WriteReport(folder, trained, dev, test);
        return new FineTuneResult(folder.Path, trained.BestModelFolder, dev.Metrics(), test?.Metrics(), bestStep);
    }

    private void WriteReport(RunFolder folder, TaggerTrainingResult trained, TaggingScores dev, TaggingScores? test)
    {
        var report = new MarkdownReport().Heading("Fine-tuning run", 1);
        report.Paragraph($"Encoder `{_recipe.Model.Encoder}`, head {SequenceLabelerOptions.HeadName(_recipe.Model.Head)}{(_recipe.Model.Crf ? "+CRF" : "")}, fusion {SequenceLabelerOptions.FusionName(_recipe.Model.Fusion)} over {_recipe.Model.FusedLayers} layer(s).");
        report.Heading("Best checkpoint on dev");
        report.Code(dev.ToMarkdown());
        if (test is not null)
        {
            report.Heading("Best checkpoint on test");
            report.Code(test.ToMarkdown());
        }
        folder.WriteReport(report);
    }
}
