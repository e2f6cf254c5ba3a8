using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Models.Lora;
using Acclimate.Runtime;
using Acclimate.Tests.FineTuning;
using Acclimate.Tests.Models.Lora;
using Acclimate.Training;
using Acclimate.Tests.Training;
using static TorchSharp.torch;

namespace Acclimate.Tests.Checkpoints;

/// <summary>
/// Saving LoRA models: the merged folder has exactly the base's keys, shapes and dtypes and reloads
/// to the LoRA model's outputs; the adapter folder has PEFT's file names, key names and config
/// fields; merging the adapter into the base reproduces the merged folder bit for bit; a wrong base
/// is refused (exit 2 through the CLI) with nothing written.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class LoraAdapterFolderTests
{
    public LoraAdapterFolderTests() => TorchRuntime.EnsureInitialized();

    private sealed record Trained(TempFolder Temp, string Base, TransformerModel Model, LoraTrainableModel Trainable, ModelInputs Inputs) : IDisposable
    {
        public void Dispose()
        {
            Model.Dispose();
            Temp.Dispose();
        }
    }

    /// <summary>A tiny BERT MLM saved as the base, then LoRA (rank 2, query/value/output, lora_only biases, LayerNorm) with random B and changed biases, as after training.</summary>
    private static Trained Train(int baseSeed = 5)
    {
        var temp = TestPaths.NewTempFolder();
        var model = LoraModelTests.Tiny(ModelType.Bert, ModelTask.MaskedLM, baseSeed);
        var basePath = temp.File("base");
        PretrainedModel.Save(model, basePath);
        var lora = LoraModel.Apply(model, new LoraSpec(2, 8, 0.05, new[] { "query", "value", "output" }) { TrainBiases = LoraBias.LoraOnly, TrainLayerNorm = true, TrainHead = false });
        LoraModelTests.RandomizeB(lora, 31);
        using (no_grad())
            foreach (var (_, p) in lora.OtherTrainable()) p.add_(0.01);
        var trainable = new LoraTrainableModel(new HfTrainableModel(model), lora, basePath);
        return new Trained(temp, basePath, model, trainable, LoraModelTests.Batch());
    }

    [Fact]
    public void MergedFolderHasTheBasesKeysShapesAndDtypesAndReloadsToTheLoraModelsOutputs()
    {
        using var t = Train();
        var merged = t.Temp.File("merged");
        t.Trainable.SaveFinal(merged, LoraSaveMode.Merged);
        Assert.False(Directory.Exists(Path.Combine(merged, "adapter")));
        using (var baseFile = SafetensorsFile.Open(Path.Combine(t.Base, PretrainedModel.WeightsFileName)))
        using (var mergedFile = SafetensorsFile.Open(Path.Combine(merged, PretrainedModel.WeightsFileName)))
        {
            Assert.Equal(baseFile.Tensors.Keys.Order(), mergedFile.Tensors.Keys.Order());
            foreach (var (key, info) in baseFile.Tensors)
            {
                Assert.Equal(info.Shape, mergedFile.Tensors[key].Shape);
                Assert.Equal(info.DType, mergedFile.Tensors[key].DType);
            }
        }
        using var expected = LoraModelTests.Logits(t.Model, t.Inputs);
        var (reloaded, report) = PretrainedModel.Load(merged);
        using (reloaded)
        {
            Assert.Empty(report.MissingKeys);
            Assert.Empty(report.UnexpectedKeys);
            using var actual = LoraModelTests.Logits(reloaded, t.Inputs);
            var error = (actual - expected).abs().max().item<float>();
            Assert.True(error < 1e-5f, $"the merged folder's logits differ from the LoRA model's by {error}");
            Assert.True(error > 0 || TensorAssert.BitEqual(actual, expected));
        }
        // The LoRA model itself was not left merged: its outputs are unchanged by saving.
        using var again = LoraModelTests.Logits(t.Model, t.Inputs);
        Assert.True(TensorAssert.BitEqual(expected, again));
    }

    [Fact]
    public void AdapterFolderUsesPeftFileNamesKeyNamesAndConfigFields()
    {
        using var t = Train();
        var adapter = t.Temp.File("adapter");
        t.Trainable.SaveFinal(adapter, LoraSaveMode.Adapter);
        Assert.Equal(new[] { "adapter_config.json", "adapter_model.safetensors" }, Directory.GetFiles(adapter).Select(Path.GetFileName).Order());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!.AsObject();
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal(2, config["r"]!.GetValue<int>());
        Assert.Equal(8.0, config["lora_alpha"]!.GetValue<double>());
        Assert.Equal(0.05, config["lora_dropout"]!.GetValue<double>());
        Assert.Equal("lora_only", config["bias"]!.GetValue<string>());
        Assert.False(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.Equal(t.Base, config["base_model_name_or_path"]!.GetValue<string>());
        Assert.Null(config["task_type"]);   // PEFT has no masked-LM task type
        Assert.Contains("bert.encoder.layer.1.attention.self.value", config["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(6, config["target_modules"]!.AsArray().Count);
        Assert.Matches("^[0-9a-f]{64}$", config[LoraModel.FingerprintKey]!.GetValue<string>());
        using var file = SafetensorsFile.Open(Path.Combine(adapter, "adapter_model.safetensors"));
        Assert.Equal(new long[] { 2, 16 }, file.Tensors["base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"].Shape);
        Assert.Equal(new long[] { 16, 2 }, file.Tensors["base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight"].Shape);
        Assert.Equal(new long[] { 16, 2 }, file.Tensors["base_model.model.bert.encoder.layer.1.output.dense.lora_B.weight"].Shape);
        Assert.True(file.Contains("base_model.model.bert.encoder.layer.0.attention.self.query.bias"));
        Assert.True(file.Contains("base_model.model.bert.encoder.layer.0.output.LayerNorm.weight"));
        Assert.False(file.Contains("base_model.model.bert.encoder.layer.0.attention.self.key.bias"));   // not a target: frozen under lora_only
        Assert.False(file.Contains("base_model.model.cls.predictions.bias"));                             // MLM head frozen
        Assert.All(file.Tensors.Keys, k => Assert.StartsWith("base_model.model.", k));
    }

    [Fact]
    public void MergingTheAdapterIntoTheBaseReproducesTheMergedFolderBitForBit()
    {
        using var t = Train();
        var both = t.Temp.File("both");
        t.Trainable.SaveFinal(both, LoraSaveMode.Both);
        var output = t.Temp.File("folded");
        var code = FineTuneCliFixture.Run(out var stdout, out var errors, "model", "merge", "--base", t.Base, "--adapter", Path.Combine(both, "adapter"), "--output", output);
        Assert.True(code == 0, stdout + errors);
        Assert.Contains("6 adapted weights merged", stdout);
        var expected = InterpolationModels.ReadAll(both);
        var actual = InterpolationModels.ReadAll(output);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, value) in expected)
            Assert.True(TensorAssert.BitEqual(value, actual[key]), $"{key} differs between the run's merged folder and base + adapter");
        Assert.True(File.Exists(Path.Combine(output, "config.json")));
        foreach (var v in expected.Values.Concat(actual.Values)) v.Dispose();
    }

    [Fact]
    public void MergingIntoAnotherBaseIsRefusedWithExitCodeTwoAndNothingWritten()
    {
        using var t = Train();
        var adapter = t.Temp.File("adapter");
        t.Trainable.SaveFinal(adapter, LoraSaveMode.Adapter);
        using var other = LoraModelTests.Tiny(ModelType.Bert, ModelTask.MaskedLM, seed: 6);
        var otherBase = t.Temp.File("other-base");
        PretrainedModel.Save(other, otherBase);
        var output = t.Temp.File("out");
        var code = FineTuneCliFixture.Run(out var stdout, out var errors, "model", "merge", "--base", otherBase, "--adapter", adapter, "--output", output);
        Assert.Equal(2, code);
        Assert.Contains("fingerprint", errors);
        Assert.Contains("nothing was written", errors);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetDirectories(t.Temp.Path, ".out*"));

        // A base of another shape fails naming the tensor; a malformed adapter names the file.
        using var wide = Tiny32();
        var wideBase = t.Temp.File("wide-base");
        PretrainedModel.Save(wide, wideBase);
        var shape = Assert.Throws<CheckpointException>(() => LoraAdapterFolder.Merge(wideBase, adapter, output));
        Assert.Contains("fingerprint", shape.Message);
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 0, \"lora_alpha\": 8, \"target_modules\": []}");
        Assert.Contains("r 0; expected >= 1", Assert.Throws<CheckpointException>(() => LoraAdapterFolder.Merge(t.Base, adapter, output)).Message);
        Assert.False(Directory.Exists(output));
    }

    private static TransformerModel Tiny32()
    {
        manual_seed(1);
        var config = EncoderConfig.Create(ModelType.Bert, vocabSize: 50, hiddenSize: 32, numLayers: 2, numHeads: 2, intermediateSize: 24, maxPositions: 32);
        return ModelFactory.Create(config, ModelTask.MaskedLM);
    }

    [Fact]
    public void ResumeLoadRestoresAdaptersAndKeepsTheBaseWeightsAndRefusesAnotherBase()
    {
        using var t = Train();
        var checkpoint = t.Temp.File("checkpoint");
        Directory.CreateDirectory(checkpoint);
        t.Trainable.Save(checkpoint);
        Assert.True(File.Exists(Path.Combine(checkpoint, "adapter", "adapter_model.safetensors")));
        using var expected = LoraModelTests.Logits(t.Model, t.Inputs);

        // A fresh run of the same base and spec (other A, zero B) resumes to the same model.
        var (fresh, _) = PretrainedModel.Load(t.Base, ModelTask.MaskedLM);
        using (fresh)
        {
            var lora = LoraModel.Apply(fresh, t.Trainable.Lora.Spec);
            new LoraTrainableModel(new HfTrainableModel(fresh), lora, t.Base).Load(checkpoint);
            using var actual = LoraModelTests.Logits(fresh, t.Inputs);
            Assert.True(TensorAssert.BitEqual(expected, actual), "the resumed LoRA model differs from the saved one");
            foreach (var (name, p) in fresh.named_parameters())
                Assert.True(TensorAssert.BitEqual(p, t.Model.named_parameters().First(q => q.name == name).parameter), $"{name} differs after resume");
        }
        using var other = LoraModelTests.Tiny(ModelType.Bert, ModelTask.MaskedLM, seed: 6);
        var otherLora = LoraModel.Apply(other, t.Trainable.Lora.Spec);
        var error = Assert.Throws<CheckpointException>(() => new LoraTrainableModel(new HfTrainableModel(other), otherLora, null).Load(checkpoint));
        Assert.Contains("another base model", error.Message);
    }
    [Fact]
    public void InterpolatingLoraCheckpointsCombinesTheMergedWeightsAndLeavesTheAdapterOut()
    {
        using var t = Train();
        var a = t.Temp.File("checkpoint-a");
        var b = t.Temp.File("checkpoint-b");
        Directory.CreateDirectory(a);
        t.Trainable.Save(a);
        LoraModelTests.RandomizeB(t.Trainable.Lora, 77);
        Directory.CreateDirectory(b);
        t.Trainable.Save(b);
        var output = t.Temp.File("half");
        WeightInterpolation.Interpolate(a, b, 0.5, output);
        Assert.True(File.Exists(Path.Combine(output, PretrainedModel.WeightsFileName)));
        // Averaging A and B separately would not be the adapter of the averaged weights.
        Assert.False(Directory.Exists(Path.Combine(output, "adapter")));
    }
}
