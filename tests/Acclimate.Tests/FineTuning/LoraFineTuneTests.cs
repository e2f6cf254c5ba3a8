using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.FineTuning.Recipes;
using Acclimate.Pretraining;
using Acclimate.Tests.Checkpoints;
using Acclimate.Tests.Training;
using Acclimate.Training;

namespace Acclimate.Tests.FineTuning;

/// <summary>
/// LoRA fine-tuning of a CRF tagger through the CLI: the best model is a merged labeler folder that
/// `evaluate` reads like any other (the frozen encoder tensors are the encoder's, bit for bit), the
/// adapter is kept or dropped as lora.save says, a killed run resumes exactly, and the shipped LoRA
/// recipes bind.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class LoraFineTuneTests : IClassFixture<FineTuneCliFixtureHolder>
{
    private const string Lora = "lora:\n  rank: 2\n  alpha: 4\n  dropout: 0.1\n  target_modules: [query, value, intermediate]\n  save: {0}";
    private readonly FineTuneCliFixture _f;

    public LoraFineTuneTests(FineTuneCliFixtureHolder holder) => _f = holder.Fixture;

    private string Finetune(string recipe, params string[] extra)
    {
        var run = _f.Temp.File("run-" + Path.GetFileNameWithoutExtension(recipe) + "-" + Guid.NewGuid().ToString("N")[..6]);
        var code = FineTuneCliFixture.Run(out var output, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", run }.Concat(extra).ToArray());
        Assert.True(code == 0, output + errors);
        return run;
    }

    [Fact]
    public void LoraTaggerSavesAMergedBestModelWithTheEncodersFrozenTensorsAndEvaluatesFromIt()
    {
        var run = Finetune(_f.Recipe("lora-merged", model: "crf: true", extraSections: string.Format(Lora, "merged")));
        var best = Path.Combine(run, "best-model");
        Assert.False(Directory.Exists(Path.Combine(best, "adapter")), "save: merged keeps no adapter in best-model");
        var encoder = InterpolationModels.ReadAll(_f.Encoder);
        var tuned = InterpolationModels.ReadAll(best);
        Assert.Equal(encoder.Keys.Where(k => !k.StartsWith("pooler.", StringComparison.Ordinal)).Order(), tuned.Keys.Order());
        var changed = tuned.Where(kv => !TensorAssert.BitEqual(kv.Value, encoder[kv.Key])).Select(kv => kv.Key).ToList();
        Assert.NotEmpty(changed);
        Assert.All(changed, k => Assert.Matches(@"^encoder\.layer\.\d\.(attention\.self\.(query|value)|intermediate\.dense)\.weight$", k));
        foreach (var v in encoder.Values.Concat(tuned.Values)) v.Dispose();
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;
        Assert.Equal(0, FineTuneCliFixture.Run(out var evalOut, out var evalErr, "evaluate", "--model", best, "--data", _f.Conll));
        Assert.Contains(" f1=" + results["test"]!["f1"]!.GetValue<double>().ToString("F4", System.Globalization.CultureInfo.InvariantCulture), evalOut);

        var both = Finetune(_f.Recipe("lora-both", model: "crf: true", extraSections: string.Format(Lora, "both")));
        var adapter = LoraAdapterFolder.Read(Path.Combine(both, "best-model", "adapter"));
        Assert.Equal(2 * 3, adapter.TargetModules.Count);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(both, "best-model", "adapter", "adapter_config.json")))!;
        Assert.Equal("TOKEN_CLS", config["task_type"]!.GetValue<string>());
        Assert.Equal("head", config["modules_to_save"]![0]!.GetValue<string>());
    }

    [Fact]
    public void AKilledLoraTaggerRunResumesExactly()
    {
        var recipe = _f.Recipe("lora-resume", model: "crf: true", extraSections: string.Format(Lora, "merged"));
        var settings = new[] { "--set", "training.save_every=2", "--set", "training.keep_last=0" };
        var full = Finetune(recipe, settings);
        var resumed = _f.Temp.File("lora-resumed-" + Guid.NewGuid().ToString("N")[..6]);
        var from = Path.Combine(full, "checkpoints", "checkpoint-2");
        Assert.True(File.Exists(Path.Combine(from, "adapter", "adapter_model.safetensors")));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(resumed, "checkpoints", "checkpoint-2", Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var code = FineTuneCliFixture.Run(out var output, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", resumed, "--resume" }.Concat(settings).ToArray());
        Assert.True(code == 0, output + errors);
        static Dictionary<long, double> Losses(string run) => File.ReadLines(Path.Combine(run, "metrics.jsonl"))
            .Select(l => JsonNode.Parse(l)!).Where(n => n["loss"] is not null).ToDictionary(n => n["step"]!.GetValue<long>(), n => n["loss"]!.GetValue<double>());
        var a = Losses(full);
        var b = Losses(resumed);
        Assert.True(b.Count >= 2 && b.Keys.Min() > 2);
        Assert.All(b, kv => Assert.Equal(a[kv.Key], kv.Value));
        var fullBest = InterpolationModels.ReadAll(Path.Combine(full, "best-model"));
        var resumedBest = InterpolationModels.ReadAll(Path.Combine(resumed, "best-model"));
        foreach (var (key, value) in fullBest) Assert.True(TensorAssert.BitEqual(value, resumedBest[key]), key);
        foreach (var v in fullBest.Values.Concat(resumedBest.Values)) v.Dispose();
    }

    [Fact]
    public void TheShippedLoraRecipesBind()
    {
        var finetune = FineTuneRecipe.From(Recipe.Load(Path.Combine(TestPaths.RepoRoot, "recipes", "finetune-ner-crf-minilm-lora.yaml")));
        Assert.Equal(8, finetune.Lora.Rank);
        Assert.Equal(6, finetune.Lora.TargetModules.Count);
        var dapt = PretrainingRecipe.From(Recipe.Load(Path.Combine(TestPaths.RepoRoot, "recipes", "dapt-lora.yaml")));
        Assert.Equal(8, dapt.Lora.Rank);
        Assert.Equal(LoraSaveMode.Both, dapt.Lora.Save);
        Assert.False(dapt.Lora.TrainMlmHead);
    }
}
