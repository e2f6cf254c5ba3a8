using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;
using Acclimate.Tests.Training;

namespace Acclimate.Tests.FineTuning.DomainAdaptation;

/// <summary>Tiny end-to-end fine-tuning runs with MMD, DANN, FGM, PGD and mixup, through the CLI.</summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class AdaptationRunTests : IClassFixture<FineTuneCliFixtureHolder>
{
    private readonly FineTuneCliFixture _f;
    private readonly string _target;

    public AdaptationRunTests(FineTuneCliFixtureHolder holder)
    {
        _f = holder.Fixture;
        _target = _f.Temp.File("target-text.txt");
        File.WriteAllText(_target, "Dr. Smith treated the patient in Boston .\nKidney disease was found in three patients .\n\n" +
            "The patients in London and Paris recovered .\nAnna studied cancer in Berlin .\nNo disease here .\n");
    }

    private string Finetune(string recipe, params string[] extra)
    {
        var run = _f.Temp.File("run-" + Path.GetFileNameWithoutExtension(recipe) + "-" + Guid.NewGuid().ToString("N")[..6]);
        var code = FineTuneCliFixture.Run(out var output, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", run }.Concat(extra).ToArray());
        Assert.True(code == 0, output + errors);
        return run;
    }

    private static List<JsonNode> TrainRecords(string run) =>
        File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Where(n => n["loss"] is not null).ToList();

    private string Adaptation(string body) => $"adaptation:\n  target_text: {_target}\n{body}";

    public static TheoryData<string, string, string[]> Settings() => new()
    {
        { "mmd", "weight: 0.5", new[] { "loss_task", "loss_mmd" } },
        { "dann", "hidden: 8", new[] { "loss_task", "loss_domain" } },
        { "fgm", "method: fgm", new[] { "loss_task", "loss_adv" } },
        { "pgd", "method: pgd", new[] { "loss_task", "loss_adv" } },
        { "all-bf16-accumulated", "precision: bf16", new[] { "loss_task", "loss_mmd", "loss_domain", "loss_adv" } },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void A_tagger_trains_with_the_extra_loss_and_logs_every_term(string name, string inResolvedRecipe, string[] logged)
    {
        var sections = name switch
        {
            "mmd" => Adaptation("  mmd: { weight: 0.5, kernel: multi }\n"),
            "dann" => Adaptation("  dann: { weight: 0.5, lambda: 1.0, schedule: ganin, hidden: 8 }\n"),
            "fgm" => "adversarial:\n  method: fgm\n  epsilon: 1.0\n",
            "pgd" => "adversarial:\n  method: pgd\n  epsilon: 1.0\n  steps: 2\n  alpha: 0.5\n",
            _ => Adaptation("  mmd: { weight: 0.5, kernel: single }\n  dann: { weight: 0.5, hidden: 8 }\n") + "adversarial:\n  method: fgm\n  epsilon: 0.5\n",
        };
        var extra = name == "all-bf16-accumulated" ? new[] { "--set", "training.precision=bf16", "--set", "training.grad_accumulation=2" } : Array.Empty<string>();
        var run = Finetune(_f.Recipe("adapt-" + name, model: "crf: true", extraSections: sections), extra);
        var records = TrainRecords(run);
        Assert.NotEmpty(records);
        foreach (var record in records)
            foreach (var key in logged)
                Assert.True(record[key] is not null && double.IsFinite(record[key]!.GetValue<double>()), $"{name}: step {record["step"]} lacks a finite {key}: {record.ToJsonString()}");
        Assert.Contains(inResolvedRecipe, File.ReadAllText(Path.Combine(run, "recipe.yaml")));
        Assert.True(File.Exists(Path.Combine(run, "best-model", "tagging.json")));
        // The domain classifier rides along in checkpoints only when DANN is on.
        Assert.Equal(logged.Contains("loss_domain"), File.Exists(Path.Combine(run, "best-model", DomainAlignment.FileName)));
        if (logged.Contains("loss_mmd"))
            Assert.All(records, r => Assert.True(r["loss_mmd"]!.GetValue<double>() >= 0));
    }

    [Fact]
    public void The_saved_model_of_a_dann_run_loads_and_predicts_like_a_plain_tagger()
    {
        var run = Finetune(_f.Recipe("dann-save", model: "crf: true", extraSections: Adaptation("  dann: { weight: 1.0, hidden: 8 }\n")));
        var best = Path.Combine(run, "best-model");
        Assert.True(File.Exists(Path.Combine(best, DomainAlignment.FileName)));
        // The tagger's own files hold no domain-classifier tensor.
        using (var labeler = SequenceLabeler.Load(best))
        {
            Assert.DoesNotContain(labeler.state_dict().Keys, k => k.Contains("domain", StringComparison.Ordinal));
            var plain = Path.Combine(Finetune(_f.Recipe("dann-plain", model: "crf: true")), "best-model");
            using var reference = SequenceLabeler.Load(plain);
            Assert.Equal(reference.state_dict().Keys.Order(), labeler.state_dict().Keys.Order());
        }
        // evaluate reproduces the run's test score from the folder; predict works on raw text.
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;
        Assert.Equal(0, FineTuneCliFixture.Run(out var evalOut, out var evalErr, "evaluate", "--model", best, "--data", _f.Conll));
        Assert.Contains(" f1=" + results["test"]!["f1"]!.GetValue<double>().ToString("F4", CultureInfo.InvariantCulture), evalOut);
        var texts = _f.Temp.File("dann-texts.txt");
        File.WriteAllText(texts, "John lives in Paris.\n");
        Assert.Equal(0, FineTuneCliFixture.Run(out var predOut, out _, "predict", "--model", best, "--input", texts));
        Assert.NotNull(JsonNode.Parse(predOut.Split('\n')[0])!["entities"]);
    }

    [Fact]
    public void A_resumed_adaptation_run_continues_exactly_like_the_uninterrupted_one()
    {
        var recipe = _f.Recipe("adapt-resume", model: "crf: true",
            extraSections: Adaptation("  mmd: { weight: 0.5 }\n  dann: { weight: 0.5, hidden: 8 }\n") + "adversarial:\n  method: pgd\n  epsilon: 1.0\n  steps: 2\n  alpha: 0.5\n");
        var settings = new[] { "--set", "training.save_every=2", "--set", "training.keep_last=0" };
        var full = Finetune(recipe, settings);
        var from = Path.Combine(full, "checkpoints", "checkpoint-2");
        Assert.True(File.Exists(Path.Combine(from, DomainAlignment.FileName)));
        Assert.Contains("domain_classifier.dense.weight.exp_avg", ReadOptimizerKeys(Path.Combine(from, "optimizer.safetensors")));
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(from, "trainer_state.json")))!;
        Assert.True(state["extra"]!["target_batches_drawn"]!.GetValue<long>() > 0);

        var resumed = _f.Temp.File("adapt-resumed-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(Path.Combine(resumed, "checkpoints", "checkpoint-2"));
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(resumed, "checkpoints", "checkpoint-2", Path.GetFileName(file)));
        var code = FineTuneCliFixture.Run(out var output, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", resumed, "--resume" }.Concat(settings).ToArray());
        Assert.True(code == 0, output + errors);
        var a = TrainRecords(full).ToDictionary(n => n["step"]!.GetValue<long>());
        var b = TrainRecords(resumed);
        Assert.True(b.Count >= 2);
        Assert.True(b.Min(n => n["step"]!.GetValue<long>()) > 2);
        foreach (var record in b)
        {
            var step = record["step"]!.GetValue<long>();
            foreach (var key in new[] { "loss", "loss_task", "loss_mmd", "loss_domain", "loss_adv" })
                Assert.True(a[step][key]!.GetValue<double>() == record[key]!.GetValue<double>(), $"step {step} {key}: {a[step][key]} uninterrupted, {record[key]} resumed");
        }
        Assert.Equal(JsonNode.Parse(File.ReadAllText(Path.Combine(full, "results.json")))!["dev"]!.ToJsonString(),
            JsonNode.Parse(File.ReadAllText(Path.Combine(resumed, "results.json")))!["dev"]!.ToJsonString());
    }

    private static string ReadOptimizerKeys(string path)
    {
        using var file = Acclimate.Checkpoints.SafetensorsFile.Open(path);
        return string.Join(",", file.Tensors.Keys);
    }

    [Theory]
    [InlineData("pooler")]
    [InlineData("mean")]
    public void A_classifier_trains_with_mixup_mmd_dann_and_fgm_and_logs_every_term(string pooling)
    {
        var data = _f.Temp.File("adapt-cls.jsonl");
        File.WriteAllText(data, string.Join("\n", Enumerable.Range(0, 8).Select(i => i % 2 == 0
            ? $"{{\"text\": \"good great fine {i}\", \"label\": \"pos\"}}"
            : $"{{\"text\": \"bad awful poor {i}\", \"label\": \"neg\"}}")) + "\n");
        var sections = Adaptation("  mmd: { weight: 0.5 }\n  dann: { weight: 0.5, hidden: 8 }\n") + "adversarial:\n  method: fgm\n  epsilon: 1.0\nmixup:\n  alpha: 0.4\n";
        var run = Finetune(_f.Recipe("adapt-cls-" + pooling, model: $"task: sequence_classification\npooling: {pooling}", extraSections: sections),
            "--set", "data.format=classification", "--set", $"data.train={data}", "--set", $"data.dev={data}", "--set", $"data.test={data}");
        var records = TrainRecords(run);
        Assert.NotEmpty(records);
        foreach (var record in records)
            foreach (var key in new[] { "loss_task", "loss_mmd", "loss_domain", "loss_adv" })
                Assert.True(record[key] is not null, $"step {record["step"]} lacks {key}");
        Assert.True(File.Exists(Path.Combine(run, "best-model", DomainAlignment.FileName)));
        Assert.Equal(0, FineTuneCliFixture.Run(out var evalOut, out _, "evaluate", "--model", Path.Combine(run, "best-model"), "--data", data));
        Assert.Contains("macro_f1=", evalOut);
    }

    [Fact]
    public void Mixup_on_a_tagger_is_refused_with_exit_code_2()
    {
        var code = FineTuneCliFixture.Run(out _, out var errors, "finetune", "--config", _f.Recipe("mixup-tagger", extraSections: "mixup:\n  alpha: 0.4\n"), "--run-dir", _f.Temp.File("mixup-tagger-run"));
        Assert.Equal(2, code);
        Assert.Contains("sequence_classification", errors);
    }

    [Fact]
    public void Select_classifier_writes_one_weight_per_training_sentence_and_finetuning_uses_them()
    {
        var weights = _f.Temp.File("train-weights.txt");
        var selected = _f.Temp.File("weights-selected.txt");
        var pool = _f.Temp.File("pool-copy.conll");
        File.Copy(_f.Conll, pool, overwrite: true);
        var code = FineTuneCliFixture.Run(out var output, out var errors, "select", "--method", "classifier", "--model", _f.Encoder, "--target", _target,
            "--pool", pool, "--output", selected, "--weights", weights, "--device", "cpu");
        Assert.True(code == 0, output + errors);
        var values = File.ReadAllLines(weights).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(8, values.Length);   // the fixture's 8 sentences, in file order
        Assert.All(values, w => Assert.True(double.IsFinite(w) && w >= 0));
        Assert.Equal(8, File.ReadAllLines(selected).Length);
        var run = _f.Temp.File("weighted-run");
        var ft = FineTuneCliFixture.Run(out var ftOut, out var ftErr, "finetune", "--config", _f.Recipe("weighted"), "--set", $"data.train_weights={weights}", "--run-dir", run);
        Assert.True(ft == 0, ftOut + ftErr);
        Assert.Contains("sample weights from", ftOut + ftErr);

        // The weights reach the loss: with every weight 0 there is nothing to minimize.
        var zeros = _f.Temp.File("zero-weights.txt");
        File.WriteAllLines(zeros, Enumerable.Repeat("0", 8));
        var zeroRun = _f.Temp.File("zero-weighted-run");
        Assert.Equal(0, FineTuneCliFixture.Run(out _, out _, "finetune", "--config", _f.Recipe("zero-weighted"), "--set", $"data.train_weights={zeros}", "--run-dir", zeroRun));
        Assert.All(TrainRecords(zeroRun), r => Assert.Equal(0.0, r["loss"]!.GetValue<double>()));
        Assert.All(TrainRecords(run), r => Assert.True(r["loss"]!.GetValue<double>() > 0));
    }
}
