using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

public sealed class SequenceLabelerSaveLoadTests
{
    public SequenceLabelerSaveLoadTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<TokenHeadKind, bool> Heads => TinyLabelers.AllHeadsData();

    [Theory]
    [MemberData(nameof(Heads))]
    public void SavedLabelerLoadsWithEqualWeightsAndPredictions(TokenHeadKind kind, bool crf)
    {
        using var folder = TestPaths.NewTempFolder();
        var target = folder.File("labeler");
        using var labeler = TinyLabelers.Create(kind, crf, LayerFusion.ScalarMix, 2, constrained: crf, seed: 5);
        // Move every parameter off its initial value so a load that skipped a tensor would show.
        using (no_grad())
            foreach (var p in labeler.parameters()) p.add_(randn_like(p) * 0.05);
        labeler.Save(target);

        using var loaded = SequenceLabeler.Load(target);
        var original = labeler.state_dict();
        var restored = loaded.state_dict();
        Assert.Equal(original.Keys.OrderBy(k => k, StringComparer.Ordinal), restored.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (key, value) in original) Assert.True(TensorAssert.BitEqual(value, restored[key]), $"{key} changed in the round trip");
        Assert.Equal(labeler.Options.ToJson().ToJsonString(), loaded.Options.ToJson().ToJsonString());
        Assert.Equal(crf, loaded.Head.Crf is not null);
        Assert.Equal(crf, loaded.Head.Crf?.Constraints is not null);

        var rng = new Random(2);
        var inputs = Enumerable.Range(0, 4).Select(_ => TinyLabelers.RandomSentence(rng, rng.Next(1, 5)).Input).ToArray();
        Assert.Equal(labeler.PredictWords(inputs), loaded.PredictWords(inputs));
    }

    [Fact]
    public void FolderHoldsAPlainHfEncoderPlusTheHeadFiles()
    {
        using var folder = TestPaths.NewTempFolder();
        var target = folder.File("labeler");
        using var labeler = TinyLabelers.Create(TokenHeadKind.BiLstm, crf: true);
        labeler.Save(target, saveTokenizer: dir => File.WriteAllText(Path.Combine(dir, "vocab.txt"), "[PAD]\n"));
        Assert.Equal(new[] { "config.json", "head.safetensors", "head_config.json", "model.safetensors", "vocab.txt" },
            Directory.GetFiles(target).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.DoesNotContain(Directory.GetDirectories(folder.Path), d => Path.GetFileName(d).StartsWith('.'));

        using (var encoderFile = SafetensorsFile.Open(Path.Combine(target, "model.safetensors")))
        {
            Assert.All(encoderFile.Tensors.Keys, k => Assert.False(k.StartsWith("head.", StringComparison.Ordinal) || k.StartsWith("bert.", StringComparison.Ordinal), k));
            Assert.Contains("embeddings.word_embeddings.weight", encoderFile.Tensors.Keys);
        }
        using (var headFile = SafetensorsFile.Open(Path.Combine(target, "head.safetensors")))
        {
            Assert.All(headFile.Tensors.Keys, k => Assert.StartsWith("head.", k));
            Assert.Contains("head.crf.transitions", headFile.Tensors.Keys);
            Assert.Contains("head.lstm.weight_ih_l0_reverse", headFile.Tensors.Keys);
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(target, "config.json")))!;
        Assert.Equal("BertModel", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal("B-A", config["id2label"]!["1"]!.GetValue<string>());

        // The encoder folder is an ordinary HF base model: it loads exactly as one.
        var (encoder, report) = PretrainedModel.Load(target);
        using var _ = encoder;
        Assert.IsType<BaseEncoderModel>(encoder);
        Assert.Empty(report.UnexpectedKeys);
        Assert.All(report.MissingKeys, k => Assert.StartsWith("pooler.", k));
        using var scope = NewDisposeScope();
        Assert.True(TensorAssert.BitEqual(labeler.Encoder.state_dict()["embeddings.word_embeddings.weight"], encoder.Encoder.state_dict()["embeddings.word_embeddings.weight"]));

        // And a new head can start from it, reporting only the new head as fresh.
        var (fresh, freshReport) = SequenceLabeler.FromPretrained(target, TinyLabelers.Options(TokenHeadKind.Cnn, crf: false));
        using var __ = fresh;
        Assert.Empty(freshReport.UnexpectedKeys);
        Assert.All(freshReport.MissingKeys, k => Assert.StartsWith("head.", k));
        Assert.NotEmpty(freshReport.MissingKeys);
        Assert.True(TensorAssert.BitEqual(labeler.Encoder.state_dict()["encoder.layer.1.output.dense.weight"], fresh.Encoder.state_dict()["encoder.layer.1.output.dense.weight"]));
    }

    [Fact]
    public void SavingReplacesTheFolderWholeAndAFailedSaveLeavesTheOldOne()
    {
        using var folder = TestPaths.NewTempFolder();
        var target = folder.File("labeler");
        using var first = TinyLabelers.Create(TokenHeadKind.Linear, crf: false, seed: 1);
        using var second = TinyLabelers.Create(TokenHeadKind.Cnn, crf: true, seed: 2);
        first.Save(target, dir => File.WriteAllText(Path.Combine(dir, "stale.txt"), "from the first save"));
        second.Save(target);
        Assert.False(File.Exists(Path.Combine(target, "stale.txt")));
        using (var reloaded = SequenceLabeler.Load(target)) Assert.Equal(TokenHeadKind.Cnn, reloaded.Options.Head);

        var before = Directory.GetFiles(target).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Throws<IOException>(() => first.Save(target, _ => throw new IOException("disk full")));
        var after = Directory.GetFiles(target).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Equal(before.Keys.OrderBy(k => k), after.Keys.OrderBy(k => k));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(new[] { "labeler" }, Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void MismatchedHeadFilesFailLoudly()
    {
        using var folder = TestPaths.NewTempFolder();
        var target = folder.File("labeler");
        using var labeler = TinyLabelers.Create(TokenHeadKind.BiLstm, crf: true);
        labeler.Save(target);

        var headConfig = Path.Combine(target, SequenceLabeler.HeadConfigFileName);
        var original = File.ReadAllText(headConfig);
        var json = JsonNode.Parse(original)!.AsObject();
        json["lstm_hidden_size"] = 7;
        File.WriteAllText(headConfig, json.ToJsonString());
        var shape = Assert.Throws<CheckpointException>(() => SequenceLabeler.Load(target));
        Assert.Contains("head.lstm.", shape.Message);

        json["lstm_hidden_size"] = 6;
        json["use_crf"] = false;
        File.WriteAllText(headConfig, json.ToJsonString());
        var unexpected = Assert.Throws<CheckpointException>(() => SequenceLabeler.Load(target));
        Assert.Contains("head.crf.transitions", unexpected.Message);

        json["use_crf"] = true;
        json["head"] = "transformer";
        File.WriteAllText(headConfig, json.ToJsonString());
        Assert.Throws<ConfigException>(() => SequenceLabeler.Load(target));

        File.Delete(headConfig);
        Assert.Throws<CheckpointException>(() => SequenceLabeler.Load(target));
    }
}
