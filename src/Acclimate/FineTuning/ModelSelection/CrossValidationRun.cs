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
    private readonly RunContext _context;
    private readonly FineTuneRecipe _recipe;
    private readonly RunFolder _run;
    private readonly ITextTokenizer _tokenizer;
    private readonly TagSpace _space;

    /// <summary>Cross-validates <see cref="RunContext.Recipe"/> into <see cref="RunContext.Folder"/> (each fold in <c>fold-k</c>), the labels in <paramref name="space"/>.</summary>
    public CrossValidationRun(RunContext context, ITextTokenizer tokenizer, TagSpace space)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _recipe = context.Recipe;
        _run = context.Folder;
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _space = space ?? throw new ArgumentNullException(nameof(space));
    }

    private TextWriter Log => _context.Log;

    /// <summary>Trains and scores every fold, then writes <c>cv.json</c>, the out-of-fold predictions and the fold ensemble's test scores.</summary>
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
        var task = new TaggingTask(_recipe, _tokenizer, _space);
        for (var f = 0; f < k; f++)
        {
            var label = $"fold {f}";
            Log.WriteLine($"cross-validation: {label} of {k}");
            var folder = RunFolder.At(Path.Combine(_run.Path, $"fold-{f}"));
            var heldIdx = Enumerable.Range(0, data.Train.Count).Where(i => folds[i] == f).ToArray();
            var train = Enumerable.Range(0, data.Train.Count).Where(i => folds[i] != f).Select(i => new WeightedSentence(data.Train[i])).ToList();
            var trained = task.Train(_context.Trainer, train, data.Dev, folder, label: label, epochEvaluated: _context.EpochEvaluated);
            foreach (var epoch in trained.Epochs) epochsText.Append(epoch.ToMarkdown());
            bestFolders.Add(trained.BestModelFolder);
            using var best = task.Load(trained.BestModelFolder);
            var held = heldIdx.Select(i => data.Train[i]).ToArray();
            var heldPred = task.Predict(best, held);
            for (var j = 0; j < heldIdx.Length; j++) oof[heldIdx[j]] = heldPred[j];
            foldHeld.Add(TaggingScores.Compute(held, heldPred, _space.FileScheme).Metrics());
            foldDev.Add(TaggingScores.Compute(data.Dev, task.Predict(best, data.Dev), _space.FileScheme).Metrics());
            if (data.Test is not null) foldTest.Add(TaggingScores.Compute(data.Test, task.Predict(best, data.Test), _space.FileScheme).Metrics());
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
            ["held_out"] = new JsonArray(foldHeld.Select(m => (JsonNode?)RunResults.Metrics(m)).ToArray()),
            ["dev"] = new JsonArray(foldDev.Select(m => (JsonNode?)RunResults.Metrics(m)).ToArray()),
            ["held_out_summary"] = Summary(foldHeld),
            ["dev_summary"] = Summary(foldDev),
            ["oof_all"] = RunResults.Metrics(oofScores.Metrics()),
            ["best_models"] = new JsonArray(bestFolders.Select(b => (JsonNode?)JsonValue.Create(b)).ToArray()),
        };
        IReadOnlyDictionary<string, double>? ensembleTest = null;
        if (data.Test is not null)
        {
            cv["test"] = new JsonArray(foldTest.Select(m => (JsonNode?)RunResults.Metrics(m)).ToArray());
            cv["test_summary"] = Summary(foldTest);
            using var ensemble = TaggerEnsemble.Load(bestFolders, TorchRuntime.ResolveDevice(_recipe.Training.Device, "training.device"));
            ensembleTest = TaggingScores.Compute(data.Test, ensemble.Predict(data.Test.Select(s => s.Words).ToArray(), EnsembleMethod.Average), _space.FileScheme).Metrics();
            cv["test_fold_ensemble"] = RunResults.Metrics(ensembleTest);
        }
        AtomicFile.WriteAllText(Path.Combine(_run.Path, "cv.json"), cv.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        AtomicFile.WriteAllText(Path.Combine(_run.Path, "epochs.md"), epochsText.ToString());
        var devSummary = CrossValidation.Summarize(foldDev).ToDictionary(kv => kv.Key, kv => kv.Value.Mean, StringComparer.Ordinal);
        return new FineTuneResult(_run.Path, bestFolders[0], devSummary, ensembleTest, 0);
    }
}
