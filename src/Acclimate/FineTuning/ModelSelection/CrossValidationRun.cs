using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.Tokenization;
using Acclimate.Runtime;
using Acclimate.Training;
using Acclimate.IO;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;

namespace Acclimate.FineTuning.ModelSelection;

/// <summary>
/// k-fold cross-validation of a tagger: fold k trains on the other folds (the recipe's dev set
/// picks each fold's best checkpoint), predicts its held-out fold (out-of-fold predictions, saved
/// as <c>oof-predictions.jsonl</c>) and the test set; <c>cv.json</c> holds per-fold metrics and
/// their mean ± std, plus the scores of all out-of-fold predictions together and of the fold
/// models' averaged ensemble on test.
/// </summary>
internal sealed class CrossValidationRun
{
    private readonly FineTuneRecipe _recipe;
    private readonly RunFolder _run;
    private readonly ITextTokenizer _tokenizer;
    private readonly TagSpace _space;

    public CrossValidationRun(FineTuneRecipe recipe, RunFolder run, ITextTokenizer tokenizer, TagSpace space)
    {
        _recipe = recipe;
        _run = run;
        _tokenizer = tokenizer;
        _space = space;
    }

    /// <summary>Called after every epoch's dev evaluation of every fold (the evaluation's label names the fold).</summary>
    public Action<EpochEvaluation>? EpochEvaluated { get; init; }

    public ITrainingProgress Progress { get; init; } = SilentProgress.Instance;

    public TextWriter Log { get; init; } = TextWriter.Null;

    public FineTuneResult Execute(TaggingDataset data)
    {
        var k = _recipe.CrossValidation.Folds;
        var folds = CrossValidation.AssignFolds(data.Train.Count, k, _recipe.CrossValidation.Seed);
        var oof = new IReadOnlyList<string>[data.Train.Count];
        var foldHeld = new List<IReadOnlyDictionary<string, double>>();
        var foldDev = new List<IReadOnlyDictionary<string, double>>();
        var foldTest = new List<IReadOnlyDictionary<string, double>>();
        var bestFolders = new List<string>();
        var epochsText = new StringBuilder();
        for (var f = 0; f < k; f++)
        {
            var label = $"fold {f}";
            Log.WriteLine($"cross-validation: {label} of {k}");
            var folder = RunFolder.At(Path.Combine(_run.Path, $"fold-{f}"));
            var trainer = new TaggerTrainer(_recipe, _tokenizer, _space) { Progress = Progress, EpochEvaluated = EpochEvaluated, Label = label };
            var heldIdx = Enumerable.Range(0, data.Train.Count).Where(i => folds[i] == f).ToArray();
            var train = Enumerable.Range(0, data.Train.Count).Where(i => folds[i] != f).Select(i => new WeightedSentence(data.Train[i])).ToList();
            var trained = trainer.Train(train, data.Dev, folder);
            foreach (var epoch in trained.Epochs) epochsText.Append(epoch.ToMarkdown());
            bestFolders.Add(trained.BestModelFolder);
            using var best = trainer.Load(trained.BestModelFolder);
            var held = heldIdx.Select(i => data.Train[i]).ToArray();
            var heldPred = trainer.Predict(best, held);
            for (var j = 0; j < heldIdx.Length; j++) oof[heldIdx[j]] = heldPred[j];
            foldHeld.Add(TaggingScores.Compute(held, heldPred, _space.FileScheme).Metrics());
            foldDev.Add(TaggingScores.Compute(data.Dev, trainer.Predict(best, data.Dev), _space.FileScheme).Metrics());
            if (data.Test is not null) foldTest.Add(TaggingScores.Compute(data.Test, trainer.Predict(best, data.Test), _space.FileScheme).Metrics());
        }
        TaggingPredictionsFile.Write(Path.Combine(_run.Path, "oof-predictions.jsonl"), data.Train, oof, folds);
        var oofScores = TaggingScores.Compute(data.Train, oof, _space.FileScheme);
        JsonObject Summary(IReadOnlyList<IReadOnlyDictionary<string, double>> perFold)
        {
            var o = new JsonObject();
            foreach (var (key, (mean, std)) in CrossValidation.Summarize(perFold))
                o[key] = new JsonObject { ["mean"] = Math.Round(mean, 6), ["std"] = Math.Round(std, 6) };
            return o;
        }
        var cv = new JsonObject
        {
            ["folds"] = k,
            ["fold_sizes"] = new JsonArray(Enumerable.Range(0, k).Select(f => (JsonNode?)JsonValue.Create(folds.Count(x => x == f))).ToArray()),
            ["held_out"] = new JsonArray(foldHeld.Select(m => (JsonNode?)TaggingRun.ToJson(m)).ToArray()),
            ["dev"] = new JsonArray(foldDev.Select(m => (JsonNode?)TaggingRun.ToJson(m)).ToArray()),
            ["held_out_summary"] = Summary(foldHeld),
            ["dev_summary"] = Summary(foldDev),
            ["oof_all"] = TaggingRun.ToJson(oofScores.Metrics()),
            ["best_models"] = new JsonArray(bestFolders.Select(b => (JsonNode?)JsonValue.Create(b)).ToArray()),
        };
        IReadOnlyDictionary<string, double>? ensembleTest = null;
        if (data.Test is not null)
        {
            cv["test"] = new JsonArray(foldTest.Select(m => (JsonNode?)TaggingRun.ToJson(m)).ToArray());
            cv["test_summary"] = Summary(foldTest);
            using var ensemble = TaggerEnsemble.Load(bestFolders, TorchRuntime.ResolveDevice(_recipe.Training.Device, "training.device"));
            ensembleTest = TaggingScores.Compute(data.Test, ensemble.Predict(data.Test.Select(s => s.Words).ToArray(), EnsembleMethod.Average), _space.FileScheme).Metrics();
            cv["test_fold_ensemble"] = TaggingRun.ToJson(ensembleTest);
        }
        AtomicFile.WriteAllText(Path.Combine(_run.Path, "cv.json"), cv.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        AtomicFile.WriteAllText(Path.Combine(_run.Path, "epochs.md"), epochsText.ToString());
        var devSummary = CrossValidation.Summarize(foldDev).ToDictionary(kv => kv.Key, kv => kv.Value.Mean, StringComparer.Ordinal);
        return new FineTuneResult(_run.Path, bestFolders[0], devSummary, ensembleTest, 0);
    }
}
