using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Checkpoints.Onnx;
using Acclimate.Cli;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Encoders;

public sealed class OnnxImportTests
{
    private const int Vocab = 30, Hidden = 16, Layers = 2, Heads = 4, Intermediate = 32;

    public OnnxImportTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<bool, bool, bool, bool> Styles => new()
    {
        // scoped, fused LayerNorm, tanh GELU, pooler
        { false, false, false, true },   // old torch.onnx (e.g. all-MiniLM-L6-v2's export)
        { true, false, false, false },   // new scoped names, no pooler (e.g. snowflake-arctic-embed-xs)
        { true, true, false, true },     // fused LayerNormalization, anonymous scale/bias found by scope
        { false, true, true, true },     // fused, named; tanh GELU
    };

    [Theory]
    [MemberData(nameof(Styles))]
    public void ImportRecoversEveryWeightTheConfigAndTheForwardPass(bool scoped, bool fused, bool tanhGelu, bool pooler)
    {
        var style = new OnnxExportStyle(scoped, fused, tanhGelu, pooler);
        var eps = fused ? 1e-5 : 1e-12;
        using var temp = TestPaths.NewTempFolder();
        using var original = TinyModel(eps, tanhGelu ? "gelu_new" : "gelu");
        var state = original.CheckpointState();
        var onnx = temp.File("model.onnx");
        File.WriteAllBytes(onnx, TinyBertOnnx.Export(state, Layers, Heads, eps, style));
        var vocab = WriteVocab(temp, Vocab);

        var output = temp.File("imported");
        var notes = OnnxEncoderImport.ToFolder(new OnnxImportRequest(onnx, vocab), output);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!;
        Assert.Equal(Heads, config["num_attention_heads"]!.GetValue<int>());
        Assert.Equal(Layers, config["num_hidden_layers"]!.GetValue<int>());
        Assert.Equal(Intermediate, config["intermediate_size"]!.GetValue<int>());
        Assert.Equal(tanhGelu ? "gelu_new" : "gelu", config["hidden_act"]!.GetValue<string>());
        Assert.Equal(eps, config["layer_norm_eps"]!.GetValue<double>());
        Assert.Equal("BertModel", config["architectures"]![0]!.GetValue<string>());
        Assert.Contains(notes, n => n.StartsWith("attention heads: 4", StringComparison.Ordinal));

        var (imported, report) = PretrainedModel.Load(output, ModelTask.Base);
        using (imported)
        {
            Assert.Empty(report.UnexpectedKeys);
            var importedState = imported.CheckpointState();
            foreach (var (key, value) in state)
            {
                if (!pooler && key.StartsWith("pooler.", StringComparison.Ordinal)) continue;
                Assert.True(value.eq(importedState[key]).all().item<bool>(), $"{style}: {key} differs after import");
            }
            Assert.Equal(pooler ? Array.Empty<string>() : new[] { "pooler.dense.bias", "pooler.dense.weight" }, report.MissingKeys.Order());

            original.eval();
            imported.eval();
            using var _ = no_grad();
            manual_seed(5);
            var ids = randint(5, Vocab, new long[] { 2, 7 });
            var mask = ones(2, 7, dtype: ScalarType.Int64);
            var expected = original.Encoder.Forward(ids, mask).LastHiddenState;
            var actual = imported.Encoder.Forward(ids, mask).LastHiddenState;
            Assert.Equal(0f, (expected - actual).abs().max().item<float>());
        }
        Assert.True(File.Exists(Path.Combine(output, "vocab.txt")));
        Assert.Equal(Vocab, File.ReadAllLines(Path.Combine(output, "vocab.txt")).Length);
    }

    [Fact]
    public void ATruncatedFileIsAClearErrorAndWritesNothing()
    {
        using var temp = TestPaths.NewTempFolder();
        using var model = TinyModel(1e-12, "gelu");
        var bytes = TinyBertOnnx.Export(model.CheckpointState(), Layers, Heads, 1e-12, new OnnxExportStyle(false, false));
        var onnx = temp.File("cut.onnx");
        File.WriteAllBytes(onnx, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointException>(() => OnnxEncoderImport.ToFolder(new OnnxImportRequest(onnx), temp.File("out")));
        Assert.Contains("cut.onnx", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public void AGraphThatIsNotBertIsRefused()
    {
        using var temp = TestPaths.NewTempFolder();
        var w = new OnnxGraphWriter();
        w.Input("x", OnnxGraphWriter.Float, "batch", 3L);
        w.FloatInitializer("dense.weight", new long[] { 3, 3 }, new float[9]);
        w.Output(w.Op("MatMul", "MatMul_0", new[] { "x", "dense.weight" }), OnnxGraphWriter.Float, "batch", 3L);
        var onnx = temp.File("mlp.onnx");
        File.WriteAllBytes(onnx, TinyBertOnnx.Bytes(w));
        var e = ImportFails(onnx);
        Assert.Contains("not a BERT-family graph", e.Message);
        Assert.Contains("dense.weight", e.Message);
    }

    [Fact]
    public void AMissingBiasNamesTheParametersTheGraphLacks()
    {
        using var temp = TestPaths.NewTempFolder();
        var e = ImportFails(WriteTinyOnnx(temp, "nobias.onnx", new OnnxExportStyle(true, false), keep: k => k != "encoder.layer.1.attention.self.key.bias"));
        Assert.Contains("encoder.layer.1.attention.self.key.bias", e.Message);
        Assert.Contains("encoder.layer.1.attention.self.key.weight", e.Message);
    }

    [Fact]
    public void AWeightThatFitsNoParameterIsListedNotDropped()
    {
        using var temp = TestPaths.NewTempFolder();
        // An anonymous weight that no node reads as a Linear: the importer must refuse, naming it.
        var e = ImportFails(WriteTinyOnnx(temp, "stray.onnx", new OnnxExportStyle(false, false),
            extra: w => w.FloatInitializer("stray_weight", new long[] { 4, 4 }, new float[16])));
        Assert.Contains("stray_weight [4, 4]", e.Message);
        Assert.Contains("could not be mapped", e.Message);
    }

    [Fact]
    public void AVocabularyOfTheWrongSizeIsRefusedWithBothCounts()
    {
        using var temp = TestPaths.NewTempFolder();
        var onnx = WriteTinyOnnx(temp, "model.onnx", new OnnxExportStyle(false, false));
        var vocab = WriteVocab(temp, Vocab - 1);
        var e = Assert.Throws<DataException>(() => OnnxEncoderImport.ToFolder(new OnnxImportRequest(onnx, vocab), temp.File("out")));
        Assert.Contains(vocab, e.Message);
        Assert.Contains($"{Vocab - 1} tokens", e.Message);
        Assert.Contains($"{Vocab} rows", e.Message);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public void TheImportVerbWritesAFolderAndBadInputIsExitTwo()
    {
        using var temp = TestPaths.NewTempFolder();
        var onnx = WriteTinyOnnx(temp, "model.onnx", new OnnxExportStyle(false, false));
        var vocab = WriteVocab(temp, Vocab);
        var stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(["model", "import", "--onnx", onnx, "--vocab", vocab, "--output", temp.File("ok")], stdout, new StringWriter()));
        Assert.Contains("activation: gelu", stdout.ToString());
        Assert.True(File.Exists(Path.Combine(temp.File("ok"), "model.safetensors")));

        File.WriteAllBytes(temp.File("junk.onnx"), "not a model at all"u8.ToArray());
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["model", "import", "--onnx", temp.File("junk.onnx"), "--output", temp.File("bad")], new StringWriter(), stderr));
        Assert.Contains("junk.onnx", stderr.ToString());
    }

    /// <summary>Exports the tiny model (eps 1e-12, erf GELU) in <paramref name="style"/> to <paramref name="name"/> in <paramref name="temp"/>.</summary>
    private static string WriteTinyOnnx(TempFolder temp, string name, OnnxExportStyle style, Func<string, bool>? keep = null, Action<OnnxGraphWriter>? extra = null)
    {
        using var model = TinyModel(1e-12, "gelu");
        var path = temp.File(name);
        File.WriteAllBytes(path, TinyBertOnnx.Export(model.CheckpointState(), Layers, Heads, 1e-12, style, keep, extra));
        return path;
    }

    private static CheckpointException ImportFails(string onnx) =>
        Assert.Throws<CheckpointException>(() => BertOnnxImporter.Import(OnnxModel.Load(onnx), onnx));

    private static TransformerModel TinyModel(double eps, string act)
    {
        manual_seed(11);
        var config = EncoderConfig.Create(ModelType.Bert, Vocab, Hidden, Layers, Heads, Intermediate, maxPositions: 24,
            extra: o => { o["layer_norm_eps"] = eps; o["hidden_act"] = act; });
        return ModelFactory.Create(config, ModelTask.Base);
    }

    private static string WriteVocab(TempFolder temp, int size)
    {
        var path = temp.File($"vocab-{size}.txt");
        var tokens = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Enumerable.Range(0, size - 5).Select(i => $"w{i}"));
        // CRLF, as the NuGet packages ship it.
        File.WriteAllText(path, string.Join("\r\n", tokens) + "\r\n");
        return path;
    }
}
