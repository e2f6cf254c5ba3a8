using System.Text.Json;
using Acclimate.Checkpoints;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tests.FineTuning;
using Acclimate.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Acclimate.Tests.Encoders;

/// <summary>
/// Exported graphs run in ONNX Runtime against the library's own forward pass: the tiny
/// <c>model init</c> encoder and all-MiniLM-L6-v2 on real sentences (a padded batch of different
/// lengths), HF's tiny BERT fixtures on their recorded inputs; every output within 1e-4. The
/// exported encoder imports back to the same tensors.
/// </summary>
public sealed class OnnxExportTests
{
    private static readonly string[] Sentences =
    {
        "Mutations in the BRCA1 gene increase the risk of hereditary breast and ovarian cancer.",
        "lol cant believe the game last night #nba @warriors",
        "The defendant shall pay the plaintiff the sum of ten thousand dollars.",
        "a",
        "Protein kinase C phosphorylates the receptor at serine 124, reducing its affinity for the ligand.",
        "Der Hund schläft im Garten.",
    };

    private const double Tolerance = 1e-4;
    private readonly ITestOutputHelper _output;

    public OnnxExportTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    [Fact]
    public void TinyInitEncoderMatchesOnnxRuntimeAndImportsBack()
    {
        using var temp = new TempFolder();
        var folder = temp.File("encoder");
        var code = FineTuneCliFixture.Run(out var o, out var e, "model", "init", "--tokenizer", TestPaths.Fixture("tokenizers", "bert-base-cased"),
            "--output", folder, "--layers", "2", "--hidden", "16", "--heads", "2", "--intermediate", "32", "--max-positions", "64", "--seed", "3");
        Assert.True(code == 0, o + e);
        var batch = TokenizerLoader.FromFolder(folder).EncodeBatch(Sentences);
        var onnx = temp.File("encoder.onnx");
        var result = OnnxExport.Export(new OnnxExportRequest(folder, onnx));
        Assert.Equal(OnnxExportKind.Encoder, result.Kind);
        Assert.Equal(new[] { "input_ids", "attention_mask", "token_type_ids" }, result.Inputs);
        CompareEncoder(folder, onnx, Inputs.From(batch), "tiny init");

        // Round trip: import the export, compare every encoder tensor with the source folder.
        var imported = temp.File("imported");
        OnnxEncoderImport.ToFolder(new OnnxImportRequest(onnx), imported);
        AssertSameEncoderTensors(folder, imported);
    }

    [Fact]
    public void HfTinyBertMatchesOnnxRuntimeAndImportsBack()
    {
        using var temp = new TempFolder();
        var folder = TestPaths.Fixture("hf-parity", "bert");
        var onnx = temp.File("bert.onnx");
        OnnxExport.Export(new OnnxExportRequest(folder, onnx, OnnxExportKind.Encoder));
        foreach (var inputs in Inputs.FromFixture(folder)) CompareEncoder(folder, onnx, inputs, "hf-parity/bert");
        var imported = temp.File("imported");
        OnnxEncoderImport.ToFolder(new OnnxImportRequest(onnx), imported);
        AssertSameEncoderTensors(folder, imported);
    }

    [Fact]
    public void MiniLmEncoderAndEmbedderMatchOnnxRuntime()
    {
        var folder = EncoderFetcher.Fetch("all-MiniLM-L6-v2");
        using var temp = new TempFolder();
        var batch = TokenizerLoader.FromFolder(folder).EncodeBatch(Sentences);
        var onnx = temp.File("minilm.onnx");
        OnnxExport.Export(new OnnxExportRequest(folder, onnx));
        CompareEncoder(folder, onnx, Inputs.From(batch), "all-MiniLM-L6-v2");

        var embedderOnnx = temp.File("minilm-embedder.onnx");
        var result = OnnxExport.Export(new OnnxExportRequest(folder, embedderOnnx, OnnxExportKind.Embedder));
        Assert.Equal(new[] { "sentence_embedding" }, result.Outputs);
        var ours = Run(embedderOnnx, Inputs.From(batch))["sentence_embedding"];
        using var embedder = new SentenceEmbedder(folder, new EmbeddingOptions(BatchSize: 4));
        var reference = embedder.Embed(Sentences);
        var worst = 0.0;
        for (var r = 0; r < Sentences.Length; r++)
            for (var k = 0; k < reference[r].Length; k++)
                worst = Math.Max(worst, Math.Abs(reference[r][k] - ours.Values[r * reference[r].Length + k]));
        _output.WriteLine($"all-MiniLM-L6-v2 embedder: max |Δ| sentence_embedding {worst:E2}");
        Assert.True(worst <= Tolerance, $"sentence_embedding differs by {worst:E2}");
    }

    [Fact]
    public void HfTinySequenceClassifierLogitsMatchOnnxRuntime()
    {
        using var temp = new TempFolder();
        var folder = TestPaths.Fixture("hf-parity", "bert-seq-cls");
        var onnx = temp.File("cls.onnx");
        var result = OnnxExport.Export(new OnnxExportRequest(folder, onnx));
        Assert.Equal(OnnxExportKind.Classifier, result.Kind);
        Assert.Equal(new[] { "logits" }, result.Outputs);
        var (model, _) = PretrainedModel.Load(folder, ModelTask.SequenceClassification);
        using (model)
        {
            model.eval();
            using var _ = no_grad();
            foreach (var inputs in Inputs.FromFixture(folder))
            {
                using var scope = NewDisposeScope();
                var reference = model.Forward(new ModelInputs(inputs.Ids(), inputs.Mask(), inputs.Types())).Logits.contiguous().data<float>().ToArray();
                var ours = Run(onnx, inputs)["logits"].Values;
                Assert.Equal(reference.Length, ours.Length);
                var worst = reference.Zip(ours).Max(z => Math.Abs(z.First - z.Second));
                _output.WriteLine($"hf-parity/bert-seq-cls: max |Δ| logits {worst:E2}");
                Assert.True(worst <= Tolerance, $"logits differ by {worst:E2}");
            }
        }
    }

    [Fact]
    public void OtherArchitecturesAreRefused()
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<ConfigException>(() => OnnxExport.Export(new OnnxExportRequest(TestPaths.Fixture("hf-parity", "roberta"), temp.File("r.onnx"))));
        Assert.Contains("not supported yet", e.Message);
        Assert.False(File.Exists(temp.File("r.onnx")));
    }

    private void CompareEncoder(string folder, string onnx, Inputs inputs, string label)
    {
        var outputs = Run(onnx, inputs);
        var (model, _) = PretrainedModel.Load(folder, ModelTask.Base);
        using (model)
        {
            model.eval();
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var reference = model.Encoder.Forward(inputs.Ids(), inputs.Mask(), inputs.Types());
            var hidden = reference.LastHiddenState.contiguous();
            Assert.Equal(hidden.shape, outputs["last_hidden_state"].Shape);
            var worst = MaxDifference(hidden.data<float>().ToArray(), outputs["last_hidden_state"].Values);
            var real = RealTokenDifference(hidden.data<float>().ToArray(), outputs["last_hidden_state"].Values, inputs);
            _output.WriteLine($"{label}: {inputs.Batch}×{inputs.Length}; max |Δ| last_hidden_state {real:E2} on real tokens, {worst:E2} on all positions");
            Assert.True(worst <= Tolerance, $"{label}: last_hidden_state differs by {worst:E2}");
            Assert.Equal(model.Encoder.HasPooler, outputs.ContainsKey("pooler_output"));
            if (reference.PoolerOutput is not null)
            {
                var pooled = MaxDifference(reference.PoolerOutput.contiguous().data<float>().ToArray(), outputs["pooler_output"].Values);
                _output.WriteLine($"{label}: max |Δ| pooler_output {pooled:E2}");
                Assert.True(pooled <= Tolerance, $"{label}: pooler_output differs by {pooled:E2}");
            }
        }
    }

    private static double RealTokenDifference(float[] a, float[] b, Inputs inputs)
    {
        var width = a.Length / (inputs.Batch * inputs.Length);
        var worst = 0.0;
        for (var t = 0; t < inputs.Batch * inputs.Length; t++)
            if (inputs.AttentionMask[t] == 1)
                for (var k = 0; k < width; k++)
                    worst = Math.Max(worst, Math.Abs((double)a[t * width + k] - b[t * width + k]));
        return worst;
    }

    private static double MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Max(z => Math.Abs((double)z.First - z.Second));
    }

    private static void AssertSameEncoderTensors(string source, string imported)
    {
        var (a, _) = PretrainedModel.Load(source, ModelTask.Base);
        var (b, report) = PretrainedModel.Load(imported, ModelTask.Base);
        using (a)
        using (b)
        {
            Assert.Empty(report.MissingKeys);
            var left = a.state_dict();
            var right = b.state_dict();
            Assert.Equal(left.Keys.Order(), right.Keys.Order());
            foreach (var (key, tensor) in left)
                Assert.True(tensor.shape.SequenceEqual(right[key].shape) && tensor.equal(right[key]).all().item<bool>(), $"{key} differs after export and import");
            Assert.Equal(a.Config.NumAttentionHeads, b.Config.NumAttentionHeads);
            Assert.Equal(a.Config.LayerNormEps, b.Config.LayerNormEps);
            Assert.Equal(a.Config.HiddenAct, b.Config.HiddenAct);
        }
    }

    private static Dictionary<string, (long[] Shape, float[] Values)> Run(string onnx, Inputs inputs)
    {
        using var session = new InferenceSession(onnx);
        var shape = new[] { inputs.Batch, inputs.Length };
        var feeds = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(inputs.InputIds, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(inputs.AttentionMask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(inputs.TokenTypeIds, shape)),
        };
        using var results = session.Run(feeds);
        return results.ToDictionary(r => r.Name, r =>
        {
            var t = r.AsTensor<float>();
            return (t.Dimensions.ToArray().Select(d => (long)d).ToArray(), t.ToArray());
        });
    }

    private sealed record Inputs(int Batch, int Length, long[] InputIds, long[] AttentionMask, long[] TokenTypeIds)
    {
        public TorchSharp.torch.Tensor Ids() => tensor(InputIds, new long[] { Batch, Length });
        public TorchSharp.torch.Tensor Mask() => tensor(AttentionMask, new long[] { Batch, Length });
        public TorchSharp.torch.Tensor Types() => tensor(TokenTypeIds, new long[] { Batch, Length });

        public static Inputs From(TokenizedBatch batch) => new(batch.BatchSize, batch.SequenceLength,
            batch.InputIds.Cast<long>().ToArray(), batch.AttentionMask.Cast<long>().ToArray(), batch.TokenTypeIds.Cast<long>().ToArray());

        public static IEnumerable<Inputs> FromFixture(string folder)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "inputs.json")));
            foreach (var b in json.RootElement.GetProperty("batches").EnumerateArray())
            {
                long[][] Rows(string name) => b.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
                var ids = Rows("input_ids");
                yield return new Inputs(ids.Length, ids[0].Length, ids.SelectMany(r => r).ToArray(),
                    Rows("attention_mask").SelectMany(r => r).ToArray(), Rows("token_type_ids").SelectMany(r => r).ToArray());
            }
        }
    }
}
