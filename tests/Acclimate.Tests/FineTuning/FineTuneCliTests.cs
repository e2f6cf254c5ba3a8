using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.Tests.Training;

namespace Acclimate.Tests.FineTuning;

[Collection(TorchGlobalStateCollection.Name)]
public sealed class FineTuneCliTests : IClassFixture<FineTuneCliFixtureHolder>
{
    private readonly FineTuneCliFixture _f;

    public FineTuneCliTests(FineTuneCliFixtureHolder holder) => _f = holder.Fixture;

    private string Finetune(string recipe, params string[] extra)
    {
        var run = _f.Temp.File("run-" + Path.GetFileNameWithoutExtension(recipe) + "-" + Guid.NewGuid().ToString("N")[..6]);
        var code = FineTuneCliFixture.Run(out var output, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", run }.Concat(extra).ToArray());
        Assert.True(code == 0, output + errors);
        return run;
    }

    [Fact]
    public void Finetune_with_crf_writes_per_epoch_tables_best_model_and_results_then_evaluate_and_predict_use_it()
    {
        var recipe = _f.Recipe("crf", model: "crf: true\nhead: bilstm\nlstm_hidden_size: 8\nfusion: scalar_mix\nfused_layers: 3");
        var run = Finetune(recipe);
        var epochs = File.ReadAllText(Path.Combine(run, "epochs.md"));
        Assert.Contains("epoch 1", epochs);
        Assert.Contains("epoch 2", epochs);
        Assert.Contains("| micro avg |", epochs);
        Assert.Contains("| PER |", epochs);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;
        Assert.Equal(2, results["epochs"]!.AsArray().Count);
        Assert.NotNull(results["dev"]!["f1"]);
        Assert.NotNull(results["test"]!["strict_f1"]);
        var best = Path.Combine(run, "best-model");
        Assert.True(File.Exists(Path.Combine(best, "tagging.json")));
        Assert.True(File.Exists(Path.Combine(best, "vocab.txt")));
        Assert.Equal(File.ReadLines(_f.Conll).Count(l => l.Length == 0) + 1, File.ReadLines(Path.Combine(run, "predictions-test.jsonl")).Count());

        // evaluate reproduces the run's test numbers from the saved folder alone.
        Assert.Equal(0, FineTuneCliFixture.Run(out var evalOut, out var evalErr, "evaluate", "--model", best, "--data", _f.Conll));
        var testF1 = results["test"]!["f1"]!.GetValue<double>();
        Assert.Contains(" f1=" + testF1.ToString("F4", CultureInfo.InvariantCulture), evalOut);

        var texts = _f.Temp.File("texts.txt");
        File.WriteAllText(texts, "John lives in Paris.\n{\"text\": \"Mary and Anna Smith visited New York and London and Berlin and Paris and more places today, said Bob.\"}\n");
        Assert.Equal(0, FineTuneCliFixture.Run(out var predOut, out var predErr, "predict", "--model", best, "--input", texts));
        var lines = predOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            var text = line["text"]!.GetValue<string>();
            foreach (var e in line["entities"]!.AsArray())
            {
                var (start, end) = (e!["start"]!.GetValue<int>(), e["end"]!.GetValue<int>());
                Assert.Equal(text[start..end], e["text"]!.GetValue<string>());
                Assert.Contains(e["type"]!.GetValue<string>(), new[] { "PER", "LOC" });
                Assert.InRange(e["confidence"]!.GetValue<double>(), 1e-6, 1.0);
            }
        }
        // The confidences are the library's (TextEntities), rounded to 6 decimals.
        using (var tagger = Acclimate.FineTuning.ModelSelection.TaggerEnsemble.Load(new[] { best }))
        {
            var library = Acclimate.FineTuning.Tagging.TextEntities.Predict(tagger, lines.Select(l => l["text"]!.GetValue<string>()).ToArray());
            for (var i = 0; i < lines.Length; i++)
                Assert.Equal(library[i].Select(e => Math.Round(e.Confidence, 6)), lines[i]["entities"]!.AsArray().Select(e => e!["confidence"]!.GetValue<double>()));
        }
    }

    [Fact]
    public void A_resumed_run_continues_exactly_like_the_uninterrupted_one()
    {
        var recipe = _f.Recipe("resume", model: "crf: true");
        var settings = new[] { "--set", "training.save_every=2", "--set", "training.keep_last=0" };
        var full = Finetune(recipe, settings);
        var resumed = _f.Temp.File("resumed-" + Guid.NewGuid().ToString("N")[..6]);
        var from = Path.Combine(full, "checkpoints", "checkpoint-2");
        Assert.True(Directory.Exists(from));
        foreach (var file in Directory.GetFiles(from))
        {
            Directory.CreateDirectory(Path.Combine(resumed, "checkpoints", "checkpoint-2"));
            File.Copy(file, Path.Combine(resumed, "checkpoints", "checkpoint-2", Path.GetFileName(file)));
        }
        var code = FineTuneCliFixture.Run(out var output, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", resumed, "--resume" }.Concat(settings).ToArray());
        Assert.True(code == 0, output + errors);
        Assert.Contains("resuming from", output);
        static Dictionary<long, double> Losses(string run) => File.ReadLines(Path.Combine(run, "metrics.jsonl"))
            .Select(l => JsonNode.Parse(l)!).Where(n => n["loss"] is not null).ToDictionary(n => n["step"]!.GetValue<long>(), n => n["loss"]!.GetValue<double>());
        var a = Losses(full);
        var b = Losses(resumed);
        // The resumed run logs only the updates after the checkpoint (a fresh run with the same seed would log steps 1 and 2 too).
        Assert.True(b.Count >= 2);
        Assert.True(b.Keys.Min() > 2, $"first logged step {b.Keys.Min()}");
        Assert.All(b, kv => Assert.Equal(a[kv.Key], kv.Value));
        var devA = JsonNode.Parse(File.ReadAllText(Path.Combine(full, "results.json")))!["dev"]!.ToJsonString();
        var devB = JsonNode.Parse(File.ReadAllText(Path.Combine(resumed, "results.json")))!["dev"]!.ToJsonString();
        Assert.Equal(devA, devB);
    }

    [Fact]
    public void Fine_tuning_checkpoints_after_every_epoch_even_when_save_every_is_longer_than_the_run()
    {
        // A few updates an epoch, 3 epochs, save_every far beyond the run.
        var keep = new[] { "--set", "training.save_every=1000", "--set", "training.keep_last=0", "--set", "training.epochs=3" };
        var tagger = Finetune(_f.Recipe("epoch-checkpoints"), keep);
        var data = _f.Temp.File("cls-epochs.jsonl");
        File.WriteAllText(data, string.Join("\n", Enumerable.Range(0, 8).Select(i => $"{{\"text\": \"{(i % 2 == 0 ? "good great" : "bad awful")} {i}\", \"label\": \"{(i % 2 == 0 ? "pos" : "neg")}\"}}")) + "\n");
        var classifier = Finetune(_f.Recipe("epoch-checkpoints-cls", model: "task: sequence_classification\npooling: mean"),
            keep.Concat(new[] { "--set", "data.format=classification", "--set", $"data.train={data}", "--set", $"data.dev={data}", "--set", $"data.test={data}" }).ToArray());
        foreach (var run in new[] { tagger, classifier })
        {
            // One checkpoint at each epoch's dev evaluation, and no other.
            var evaluated = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
                .Where(n => n.Any(kv => kv.Key.StartsWith("eval_", StringComparison.Ordinal))).Select(n => n["step"]!.GetValue<long>()).ToArray();
            Assert.Equal(3, evaluated.Length);
            Assert.Equal(evaluated.Select(step => $"checkpoint-{step}").Order(StringComparer.Ordinal),
                Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Ensemble_of_two_seeds_evaluates_by_averaging_and_by_voting()
    {
        var recipe = _f.Recipe("ens", model: "crf: true");
        var a = Path.Combine(Finetune(recipe), "best-model");
        var b = Path.Combine(Finetune(recipe, "--set", "training.seed=2"), "best-model");
        foreach (var method in new[] { "average", "vote" })
        {
            Assert.Equal(0, FineTuneCliFixture.Run(out var output, out var errors, "ensemble", "--model", a, "--model", b, "--data", _f.Conll, "--method", method));
            Assert.Contains($"ensemble ({method}):", output);
            Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("member ", StringComparison.Ordinal)));
        }
        // A CRF member with a linear one: per-word probabilities (CRF marginals, softmax) are averaged.
        var c = Path.Combine(Finetune(_f.Recipe("ens-linear")), "best-model");
        Assert.Equal(0, FineTuneCliFixture.Run(out var mixed, out var mixedErr, "ensemble", "--model", a, "--model", c, "--data", _f.Conll));
        Assert.Contains("ensemble (average):", mixed);
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var oneErr, "ensemble", "--model", a, "--data", _f.Conll));
        Assert.Contains("at least two", oneErr);
    }

    [Fact]
    public void Cross_validation_writes_per_fold_metrics_summary_and_out_of_fold_predictions()
    {
        var run = Finetune(_f.Recipe("cv"), "--set", "training.epochs=1", "--set", "cross_validation.folds=2");
        var cv = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "cv.json")))!;
        Assert.Equal(2, cv["held_out"]!.AsArray().Count);
        Assert.NotNull(cv["held_out_summary"]!["f1"]!["std"]);
        Assert.NotNull(cv["test_fold_ensemble"]!["f1"]);
        var oof = File.ReadAllLines(Path.Combine(run, "oof-predictions.jsonl")).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal(8, oof.Length);
        Assert.Equal(new[] { 0, 1 }, oof.Select(o => o["fold"]!.GetValue<int>()).Distinct().Order());
        Assert.All(oof, o => Assert.Equal(o["tokens"]!.AsArray().Count, o["pred"]!.AsArray().Count));
    }

    [Fact]
    public void Pseudo_label_rounds_train_again_on_gold_plus_confident_pseudo_labels()
    {
        var unlabeled = _f.Temp.File("unlabeled.txt");
        File.WriteAllText(unlabeled, "Anna went to Berlin .\nBob lives in London .\n\nThe mat is here .\n");
        var run = Finetune(_f.Recipe("pseudo", extraSections: $"pseudo_labels:\n  unlabeled: {unlabeled}\n  threshold: 0.0\n  pseudo_weight: 0.5\n  rounds: 1\n"), "--set", "training.epochs=1");
        Assert.True(File.Exists(Path.Combine(run, "round-0", "results.json")));
        Assert.True(File.Exists(Path.Combine(run, "round-1", "best-model", "tagging.json")));
        // The run's own results.json is the last round's (what a sweep reads).
        Assert.Equal(File.ReadAllText(Path.Combine(run, "round-1", "results.json")), File.ReadAllText(Path.Combine(run, "results.json")));
        Assert.Contains("pseudo-labels for round 1: 3 sentences kept", File.ReadAllText(Path.Combine(run, "epochs.md")));
    }

    [Fact]
    public void Plain_tags_are_scored_by_accuracy_and_per_tag()
    {
        var pos = _f.Temp.File("pos.jsonl");
        File.WriteAllText(pos, "{\"tokens\": [\"the\", \"cat\", \"sat\"], \"tags\": [\"at\", \"nn\", \"vbd\"]}\n{\"tokens\": [\"a\", \"dog\", \"ran\", \"home\"], \"tags\": [\"at\", \"nn\", \"vbd\", \"nr\"]}\n");
        var run = Finetune(_f.Recipe("pos", data: "format: token_jsonl\nscheme: none"), "--set", $"data.train={pos}", "--set", $"data.dev={pos}", "--set", $"data.test={pos}");
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;
        Assert.NotNull(results["dev"]!["accuracy"]);
        Assert.Null(results["dev"]!["f1"]);
        Assert.Contains("| nn |", File.ReadAllText(Path.Combine(run, "epochs.md")));
    }

    [Theory]
    [InlineData("pooler")]
    [InlineData("mean")]
    public void Sequence_classification_trains_and_predicts_labels_with_probabilities(string pooling)
    {
        var data = _f.Temp.File("cls.jsonl");
        File.WriteAllText(data, string.Join("\n", Enumerable.Range(0, 8).Select(i => i % 2 == 0
            ? $"{{\"text\": \"good great fine {i}\", \"label\": \"pos\"}}"
            : $"{{\"text\": \"bad awful poor {i}\", \"label\": \"neg\"}}")) + "\n");
        var run = Finetune(_f.Recipe("cls-" + pooling, model: $"task: sequence_classification\ntruncation: head_tail\nhead_tokens: 4\npooling: {pooling}"), "--set", "data.format=classification",
            "--set", $"data.train={data}", "--set", $"data.dev={data}", "--set", $"data.test={data}");
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;
        Assert.NotNull(results["test"]!["macro_f1"]);
        Assert.Equal(pooling == "mean", File.Exists(Path.Combine(run, "best-model", "pooling.json")));
        Assert.Contains("HeadTail", File.ReadAllText(Path.Combine(run, "best-model", "classification.json")));
        Assert.Equal(0, FineTuneCliFixture.Run(out var evalOut, out _, "evaluate", "--model", Path.Combine(run, "best-model"), "--data", data));
        Assert.Contains("macro_f1=" + results["test"]!["macro_f1"]!.GetValue<double>().ToString("F4", CultureInfo.InvariantCulture), evalOut);
        var texts = _f.Temp.File("cls-texts.txt");
        File.WriteAllText(texts, "good great\nbad awful\n");
        Assert.Equal(0, FineTuneCliFixture.Run(out var output, out var errors, "predict", "--model", Path.Combine(run, "best-model"), "--input", texts));
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!))
        {
            var probabilities = line["probabilities"]!.AsObject();
            Assert.Equal(2, probabilities.Count);
            Assert.Equal(1.0, probabilities.Sum(p => p.Value!.GetValue<double>()), 4);
            Assert.Contains(line["label"]!.GetValue<string>(), new[] { "pos", "neg" });
        }
    }

    [Fact]
    public void Classification_takes_labels_from_all_splits_when_asked_and_writes_its_predictions()
    {
        var train = _f.Temp.File("cls-train.jsonl");
        File.WriteAllText(train, string.Join("\n", Enumerable.Range(0, 6).Select(i => i % 2 == 0
            ? $"{{\"text\": \"good great fine {i}\", \"label\": \"pos\"}}"
            : $"{{\"text\": \"bad awful poor {i}\", \"label\": \"neg\"}}")) + "\n");
        var eval = _f.Temp.File("cls-eval.jsonl");
        File.WriteAllText(eval, "{\"text\": \"good great\", \"label\": \"pos\"}\n{\"text\": \"so so\", \"label\": \"neutral\"}\n{\"text\": \"bad awful\", \"label\": \"neg\"}\n");
        var recipe = _f.Recipe("cls-all-splits", model: "task: sequence_classification\npooling: mean");
        string[] Data(string more) => new[] { "--set", "data.format=classification", "--set", $"data.train={train}", "--set", $"data.dev={eval}", "--set", $"data.test={eval}", "--set", more };

        // By default a dev label the training set lacks stops the run, naming the file and line.
        var refused = _f.Temp.File("run-cls-refused");
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", refused }.Concat(Data("training.seed=1")).ToArray()));
        Assert.Contains($"{eval}:2: label 'neutral' is not in the training label set", errors);

        var run = Finetune(recipe, Data("data.labels_from_all_splits=true"));
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;
        foreach (var split in new[] { "dev", "test" })
        {
            var lines = File.ReadAllLines(Path.Combine(run, $"predictions-{split}.jsonl")).Select(l => JsonNode.Parse(l)!).ToArray();
            Assert.Equal(new[] { "pos", "neutral", "neg" }, lines.Select(l => l["gold"]!.GetValue<string>()));
            Assert.Equal(new[] { 1, 2, 3 }, lines.Select(l => l["line"]!.GetValue<int>()));
            foreach (var line in lines)
            {
                var probabilities = line["probabilities"]!.AsObject();
                Assert.Equal(new[] { "neg", "neutral", "pos" }, probabilities.Select(p => p.Key).Order(StringComparer.Ordinal));
                Assert.Equal(1.0, probabilities.Sum(p => p.Value!.GetValue<double>()), 4);
                Assert.Equal(probabilities.MaxBy(p => p.Value!.GetValue<double>()).Key, line["pred"]!.GetValue<string>());
            }
            // The file scores to the numbers results.json reports.
            var accuracy = lines.Count(l => l["gold"]!.GetValue<string>() == l["pred"]!.GetValue<string>()) / 3.0;
            Assert.Equal(results[split]!["accuracy"]!.GetValue<double>(), accuracy, 5);   // results.json keeps 6 decimals
        }
    }
}

/// <summary>Shares one tiny encoder among the CLI tests.</summary>
public sealed class FineTuneCliFixtureHolder : IDisposable
{
    internal FineTuneCliFixture Fixture { get; } = new();

    public void Dispose() => Fixture.Dispose();
}
