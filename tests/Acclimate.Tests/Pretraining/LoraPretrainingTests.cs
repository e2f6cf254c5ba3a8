using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using Acclimate.Tests.Training;
using static TorchSharp.torch;

namespace Acclimate.Tests.Pretraining;

/// <summary>
/// LoRA DAPT end to end on a tiny model: only adapters change the encoder, a killed and resumed run
/// reproduces the uninterrupted one's losses and model bit for bit, the model folder is a merged HF
/// folder with the base's keys (or the adapter, or both), and bad lora keys fail naming the file.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class LoraPretrainingTests
{
    public LoraPretrainingTests() => TorchRuntime.EnsureInitialized();

    private static string Base(TempFolder temp)
    {
        var folder = temp.File("base");
        if (Directory.Exists(folder)) return folder;
        manual_seed(4);
        var config = EncoderConfig.Create(ModelType.Bert, vocabSize: 30522, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 48, maxPositions: 64);
        using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
        PretrainedModel.Save(model, folder);
        return folder;
    }

    private static string Body(TempFolder temp, string train, string name, string save = "merged") => PretrainingRunTests.Recipe(temp, $"""
        data:
          train: {train}
          eval: {train}
          block_size: 16
          eval_max_blocks: 8
        lora:
          rank: 4
          alpha: 8
          dropout: 0.1
          target_modules: [query, value, output]
          train_biases: lora_only
          save: {save}
        """, name).Replace("architecture: bert", $"init: {Base(temp)}");

    private static Acclimate.Training.Recipe Parse(string yaml, params string[] overrides) => Acclimate.Training.Recipe.Parse(yaml, "test.yaml", overrides);

    [Fact]
    public void KilledAndResumedLoraRunEqualsTheUninterruptedOneAndSavesAMergedHfFolder()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = PretrainingRunTests.WriteCorpus(temp, "train.txt", 40, 7);
        var options = new[] { "training.max_steps=6", "training.save_every=3", "training.eval_every=3" };
        var full = new PretrainingRun(Parse(Body(temp, train, "full"), options)).Execute();
        var stopped = new PretrainingRun(Parse(Body(temp, train, "split"), options)) { StopAtStep = 3 }.Execute();
        var checkpoint = Path.Combine(temp.File("split"), "checkpoints", "checkpoint-3");
        Assert.True(File.Exists(Path.Combine(checkpoint, "adapter", "adapter_config.json")), "a LoRA checkpoint holds its adapter");
        var resumed = new PretrainingRun(Parse(Body(temp, train, "split"), options.Append("run.resume_from=" + checkpoint).ToArray())).Execute();

        var split = stopped.Training.StepLosses.Concat(resumed.Training.StepLosses).ToList();
        Assert.Equal(full.Training.StepLosses.Select(BitConverter.DoubleToInt64Bits), split.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(6, full.Training.StepLosses.Distinct().Count());

        // The model folders are merged HF folders with the base's keys, equal bit for bit.
        var fullTensors = Checkpoints.InterpolationModels.ReadAll(full.ModelFolder);
        var resumedTensors = Checkpoints.InterpolationModels.ReadAll(resumed.ModelFolder);
        var baseTensors = Checkpoints.InterpolationModels.ReadAll(Base(temp));
        Assert.Equal(baseTensors.Keys.Order(), fullTensors.Keys.Order());
        Assert.False(Directory.Exists(Path.Combine(full.ModelFolder, "adapter")));
        foreach (var (key, value) in fullTensors)
            Assert.True(TensorAssert.BitEqual(value, resumedTensors[key]), $"{key} differs between the uninterrupted and the resumed run");
        // Only the adapted layers (merged B·A) and their biases moved; everything else is the base's.
        var changed = fullTensors.Where(kv => !TensorAssert.BitEqual(kv.Value, baseTensors[kv.Key])).Select(kv => kv.Key).Order().ToList();
        Assert.NotEmpty(changed);
        Assert.All(changed, k => Assert.Matches(@"^bert\.encoder\.layer\.\d\.(attention\.self\.(query|value)|output\.dense)\.(weight|bias)$", k));
        foreach (var v in fullTensors.Values.Concat(resumedTensors.Values).Concat(baseTensors.Values)) v.Dispose();
        var optimizerState = Path.Combine(checkpoint, "optimizer.safetensors");
        using var state = SafetensorsFile.Open(optimizerState);
        Assert.All(state.Tensors.Keys, k => Assert.Matches(@"(lora_[AB]\.weight|(query|value|output\.dense)\.bias)\.(exp_avg|exp_avg_sq|step)$", k));
    }

    [Fact]
    public void AdapterSaveWritesOnlyThePeftAdapterWhichMergesIntoTheBase()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = PretrainingRunTests.WriteCorpus(temp, "train.txt", 30, 8);
        var result = new PretrainingRun(Parse(Body(temp, train, "adapter", save: "adapter"), "training.max_steps=3")).Execute();
        Assert.Equal(new[] { "adapter_config.json", "adapter_model.safetensors" }, Directory.GetFiles(result.ModelFolder).Select(Path.GetFileName).Order());
        var merged = LoraAdapterFolder.Merge(Base(temp), result.ModelFolder, temp.File("merged"));
        Assert.Equal(6, merged.MergedModules);
        Assert.Equal(6, merged.ReplacedTensors);   // the adapted layers' biases
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(result.ModelFolder, "adapter_config.json")))!;
        Assert.Equal(Base(temp), config["base_model_name_or_path"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("lora.rank=-1", "'lora'", "rank must be >= 1")]
    [InlineData("lora.alpha=0", "'lora'", "alpha must be a finite number > 0 (got 0)")]
    [InlineData("lora.target_modules=[query, dense]", "'lora'", "'dense' is not a LoRA target")]
    [InlineData("lora.rank=64", "lora.rank 64", "exceeds min(in, out) = 32 of 'bert.encoder.layer.0.attention.self.query'")]
    public void BadLoraKeysFailClearly(string overrideKey, string where, string message)
    {
        using var temp = TestPaths.NewTempFolder();
        var train = PretrainingRunTests.WriteCorpus(temp, "train.txt", 10, 9);
        var error = Assert.ThrowsAny<Acclimate.Errors.AcclimateException>(() => new PretrainingRun(Parse(Body(temp, train, "bad"), "training.max_steps=2", overrideKey)).Execute());
        Assert.Contains(where, error.Message);
        Assert.Contains(message, error.Message);
    }
}
