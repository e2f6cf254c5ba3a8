using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Checkpoints;

public sealed class PretrainedModelTests
{
    public PretrainedModelTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<string> Fixtures => HfParityFixtures.All;

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void SaveThenLoadIsBitIdenticalAndWritesTheKeysHfWrote(string fixture)
    {
        var source = TestPaths.Fixture("hf-parity", fixture);
        var (model, _) = PretrainedModel.Load(source);
        using var _m = model;
        using var temp = TestPaths.NewTempFolder();
        PretrainedModel.Save(model, temp.Path);

        var (reloaded, report) = PretrainedModel.Load(temp.Path);
        using var _r = reloaded;
        Assert.True(report.IsExactMatch, report.Describe());
        var before = model.CheckpointState();
        var after = reloaded.CheckpointState();
        Assert.Equal(before.Keys.OrderBy(k => k), after.Keys.OrderBy(k => k));
        foreach (var (key, tensor) in before)
            Assert.True(TensorAssert.BitEqual(tensor, after[key]), $"{key} changed in the round trip");

        // The saved file holds exactly the tensor names HF's own file held (tied duplicates included
        // where HF writes them), so HF's from_pretrained sees what it expects.
        using var original = SafetensorsFile.Open(Path.Combine(source, "model.safetensors"));
        using var saved = SafetensorsFile.Open(Path.Combine(temp.Path, "model.safetensors"));
        Assert.Equal(original.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal), saved.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal("pt", saved.Metadata["format"]);
    }

    [Fact]
    public void SavedConfigKeepsFieldsAcclimateDoesNotUse()
    {
        var source = TestPaths.Fixture("hf-parity", "electra-discriminator");
        var (model, _) = PretrainedModel.Load(source);
        using var _m = model;
        using var temp = TestPaths.NewTempFolder();
        PretrainedModel.Save(model, temp.Path);
        var saved = JsonNode.Parse(File.ReadAllText(temp.File("config.json")))!.AsObject();
        Assert.Equal("first", (string?)saved["summary_type"]);
        Assert.Equal("gelu", (string?)saved["summary_activation"]);
        Assert.Equal("ElectraForPreTraining", (string?)saved["architectures"]![0]);
        Assert.Equal(32, (int)saved["embedding_size"]!);
    }

    [Fact]
    public void LoadingAPretrainingCheckpointForTokenClassificationInitializesTheNewHead()
    {
        var labels = new[] { "O", "B-PER", "I-PER" };
        var (model, report) = PretrainedModel.Load(TestPaths.Fixture("hf-parity", "bert"), ModelTask.TokenClassification, labels);
        using var _m = model;
        Assert.Equal(new[] { "classifier.bias", "classifier.weight" }, report.NewlyInitializedKeys);
        Assert.Contains("cls.seq_relationship.weight", report.UnexpectedKeys);
        Assert.Contains("bert.pooler.dense.weight", report.UnexpectedKeys);
        Assert.DoesNotContain(report.LoadedKeys, k => k.StartsWith("classifier", StringComparison.Ordinal));
        Assert.Contains("newly initialized", report.Describe());

        var state = model.CheckpointState();
        Assert.Equal(new long[] { 3, 64 }, state["classifier.weight"].shape);
        Assert.Equal(0.0, state["classifier.bias"].abs().sum().item<float>());
        var std = state["classifier.weight"].std().item<float>();
        Assert.InRange(std, 0.01, 0.03);   // HF init: N(0, initializer_range = 0.02)
        Assert.Equal(labels, model.Config.Labels);

        // The encoder weights are the checkpoint's, not fresh ones.
        using var file = SafetensorsFile.Open(TestPaths.Fixture("hf-parity", "bert", "model.safetensors"));
        using var stored = file.ReadTensor("bert.encoder.layer.1.output.dense.weight");
        Assert.True(TensorAssert.BitEqual(stored, state["bert.encoder.layer.1.output.dense.weight"]));
    }

    [Fact]
    public void BareEncoderCheckpointLoadsIntoAHeadModelAndBack()
    {
        var (pretraining, _) = PretrainedModel.Load(TestPaths.Fixture("hf-parity", "bert"));
        using var _p = pretraining;
        using var bareFolder = TestPaths.NewTempFolder();
        var (bare, bareReport) = PretrainedModel.Load(TestPaths.Fixture("hf-parity", "bert"), ModelTask.Base);
        using var _b = bare;
        Assert.Empty(bareReport.MissingKeys);
        PretrainedModel.Save(bare, bareFolder.Path);
        using (var saved = SafetensorsFile.Open(bareFolder.File("model.safetensors")))
            Assert.All(saved.Tensors.Keys, k => Assert.False(k.StartsWith("bert.", StringComparison.Ordinal), k));

        var (mlm, report) = PretrainedModel.Load(bareFolder.Path, ModelTask.MaskedLM);
        using var _mlm = mlm;
        Assert.Contains("bert.embeddings.word_embeddings.weight", report.LoadedKeys);
        Assert.Equal(new[] { "cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.transform.LayerNorm.weight",
                             "cls.predictions.transform.dense.bias", "cls.predictions.transform.dense.weight" }, report.MissingKeys);
        Assert.True(TensorAssert.BitEqual(pretraining.CheckpointState()["bert.encoder.layer.0.attention.self.query.weight"],
            mlm.CheckpointState()["bert.encoder.layer.0.attention.self.query.weight"]));
    }

    [Fact]
    public void TiedDecoderIsTheWordEmbeddingTensor()
    {
        var (model, report) = PretrainedModel.Load(TestPaths.Fixture("hf-parity", "bert"));
        using var _m = model;
        Assert.Contains("cls.predictions.decoder.weight", report.IgnoredKeys);
        var mlm = Assert.IsType<MaskedLmModel>(model);
        using var hidden = randn(1, 3, 64);
        using var logits = mlm.PredictTokens(hidden);
        using (no_grad()) model.CheckpointState()["bert.embeddings.word_embeddings.weight"][5].add_(1.0f);
        using var after = mlm.PredictTokens(hidden);
        using var changedColumn = (after - logits).select(2, 5).abs().min();
        using var otherColumn = (after - logits).select(2, 6).abs().max();
        Assert.True(changedColumn.item<float>() > 1e-3, "editing the embedding row must change that token's logit");
        Assert.Equal(0.0f, otherColumn.item<float>());
    }

    [Fact]
    public void ShapeMismatchNamesTheTensorAndBothShapes()
    {
        using var temp = CopyFixture("bert");
        EditConfig(temp, c => c["vocab_size"] = 121);
        var e = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("bert.embeddings.word_embeddings.weight", e.Message);
        Assert.Contains("[120, 64]", e.Message);
        Assert.Contains("[121, 64]", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void MissingConfigIsAClearError()
    {
        using var temp = CopyFixture("bert");
        File.Delete(temp.File("config.json"));
        var e = Assert.Throws<ConfigException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void MissingRequiredConfigFieldIsNamed()
    {
        using var temp = CopyFixture("bert");
        EditConfig(temp, c => c.Remove("hidden_size"));
        var e = Assert.Throws<ConfigException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("'hidden_size'", e.Message);
    }

    [Fact]
    public void UnknownModelTypeIsNamed()
    {
        using var temp = CopyFixture("bert");
        EditConfig(temp, c => c["model_type"] = "gpt2");
        var e = Assert.Throws<ConfigException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("'gpt2'", e.Message);
        Assert.Contains("bert, roberta, albert, electra", e.Message);
    }

    [Fact]
    public void MalformedConfigJsonNamesTheFile()
    {
        using var temp = CopyFixture("bert");
        File.WriteAllText(temp.File("config.json"), "{\"model_type\": \"bert\",");
        var e = Assert.Throws<ConfigException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void WrongTypedConfigFieldIsNamed()
    {
        using var temp = CopyFixture("bert");
        EditConfig(temp, c => c["num_attention_heads"] = "four");
        var e = Assert.Throws<ConfigException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("'num_attention_heads'", e.Message);
    }

    [Fact]
    public void MissingWeightsFileIsAClearError()
    {
        using var temp = CopyFixture("bert");
        File.Delete(temp.File("model.safetensors"));
        var e = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void ATruncatedWeightsFileDoesNotTouchTheProcessOrTheModel()
    {
        using var temp = CopyFixture("bert");
        var bytes = File.ReadAllBytes(temp.File("model.safetensors"));
        File.WriteAllBytes(temp.File("model.safetensors"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void SavingOverAnExistingCheckpointReplacesItWhole()
    {
        var (model, _) = PretrainedModel.Load(TestPaths.Fixture("hf-parity", "bert-token-cls"));
        using var _m = model;
        using var temp = CopyFixture("bert");
        PretrainedModel.Save(model, temp.Path);
        var (reloaded, report) = PretrainedModel.Load(temp.Path);
        using var _r = reloaded;
        Assert.IsType<TokenClassificationModel>(reloaded);
        Assert.True(report.IsExactMatch, report.Describe());
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp"));
    }

    private static TempFolder CopyFixture(string name)
    {
        var temp = TestPaths.NewTempFolder();
        foreach (var file in Directory.GetFiles(TestPaths.Fixture("hf-parity", name)))
            File.Copy(file, temp.File(Path.GetFileName(file)));
        return temp;
    }

    private static void EditConfig(TempFolder folder, Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());
    }
}
