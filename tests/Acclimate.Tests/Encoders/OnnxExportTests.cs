using System.Text.Json;
using Acclimate.Checkpoints;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.FineTuning;
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

    /// <summary>
    /// <c>--quantize int8</c> on the tiny init encoder and the HF tiny BERT: ONNX Runtime runs the graph
    /// (standard ops only), 12 of 12 encoder Linear layers become MatMulInteger, the outputs stay
    /// within 1 % of the float32 export's largest |value| (measured: 0.02–0.04 % on the tiny init
    /// encoder), the file shrinks by ~3 bytes per quantized weight, and the head stays float32.
    /// </summary>
    [Fact]
    public void Int8ExportRunsInOnnxRuntimeCloseToFloat32AndIsSmaller()
    {
        using var temp = new TempFolder();
        var folder = temp.File("encoder");
        var code = FineTuneCliFixture.Run(out var o, out var e, "model", "init", "--tokenizer", TestPaths.Fixture("tokenizers", "bert-base-cased"),
            "--output", folder, "--layers", "2", "--hidden", "32", "--heads", "2", "--intermediate", "64", "--max-positions", "64", "--seed", "3");
        Assert.True(code == 0, o + e);
        var inputs = Inputs.From(TokenizerLoader.FromFolder(folder).EncodeBatch(Sentences));
        foreach (var (source, label) in new[] { (folder, "tiny init"), (TestPaths.Fixture("hf-parity", "bert"), "hf-parity/bert") })
        {
            var fp32 = temp.File(label.Replace('/', '-') + ".onnx");
            var int8 = temp.File(label.Replace('/', '-') + "-int8.onnx");
            OnnxExport.Export(new OnnxExportRequest(source, fp32, OnnxExportKind.Encoder));
            var result = OnnxExport.Export(new OnnxExportRequest(source, int8, OnnxExportKind.Encoder, OnnxQuantization.Int8));
            var config = EncoderConfig.Load(Path.Combine(source, "config.json"));
            Assert.Equal(6 * config.NumHiddenLayers, result.QuantizedLinears);
            var feeds = label == "tiny init" ? new[] { inputs } : Inputs.FromFixture(source).ToArray();
            foreach (var feed in feeds)
            {
                var reference = Run(fp32, feed);
                var quantized = Run(int8, feed);
                foreach (var output in reference.Keys)
                {
                    var scale = reference[output].Values.Max(v => Math.Abs(v));
                    var worst = RealTokenDifference(reference[output].Values, quantized[output].Values, feed, output == "pooler_output");
                    _output.WriteLine($"{label} int8: max |Δ| {output} {worst:E2} (largest |fp32 value| {scale:F3}, ratio {worst / scale:P2})");
                    Assert.True(worst <= 0.01 * scale, $"{label}: int8 {output} differs by {worst:E2} (largest |value| {scale:F3})");
                    Assert.True(worst > 0, $"{label}: int8 {output} equals float32 exactly; the weights were not quantized");
                }
            }
            var linearWeights = Enumerable.Range(0, config.NumHiddenLayers).Sum(_ => 4L * config.HiddenSize * config.HiddenSize + 2L * config.HiddenSize * config.IntermediateSize);
            long fp32Bytes = new FileInfo(fp32).Length, int8Bytes = new FileInfo(int8).Length;
            _output.WriteLine($"{label}: {fp32Bytes} bytes float32, {int8Bytes} bytes int8 ({linearWeights} quantized weights)");
            // 3 bytes saved per weight, less the channel scales and the extra nodes (a fixed cost per layer that matters only on tiny models).
            Assert.True(fp32Bytes - int8Bytes >= 2 * linearWeights, $"{label}: int8 file {int8Bytes} bytes vs float32 {fp32Bytes}; expected at least 2 bytes saved per weight of {linearWeights}");
            using var session = new InferenceSession(int8);
            Assert.Equal(new[] { "input_ids", "attention_mask", "token_type_ids" }, session.InputMetadata.Keys);
        }
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

    [Theory]
    [InlineData("all-MiniLM-L6-v2")]
    [InlineData("snowflake-arctic-embed-xs")]
    public void RealEncoderAndEmbedderMatchOnnxRuntime(string name)
    {
        var folder = EncoderFetcher.Fetch(name);
        using var temp = new TempFolder();
        var batch = TokenizerLoader.FromFolder(folder).EncodeBatch(Sentences);
        var onnx = temp.File("encoder.onnx");
        var encoderResult = OnnxExport.Export(new OnnxExportRequest(folder, onnx));
        // snowflake-arctic-embed-xs ships no pooler weights: the export has no pooler_output rather than a random one.
        Assert.Equal(name == "all-MiniLM-L6-v2", encoderResult.Outputs.Contains("pooler_output"));
        CompareEncoder(folder, onnx, Inputs.From(batch), name);

        var embedderOnnx = temp.File("embedder.onnx");
        var result = OnnxExport.Export(new OnnxExportRequest(folder, embedderOnnx, OnnxExportKind.Embedder));
        Assert.Equal(new[] { "sentence_embedding" }, result.Outputs);
        var ours = Run(embedderOnnx, Inputs.From(batch))["sentence_embedding"];
        using var embedder = new SentenceEmbedder(folder, new EmbeddingOptions(BatchSize: 4));
        var reference = embedder.Embed(Sentences);
        var worst = 0.0;
        for (var r = 0; r < Sentences.Length; r++)
            for (var k = 0; k < reference[r].Length; k++)
                worst = Math.Max(worst, Math.Abs(reference[r][k] - ours.Values[r * reference[r].Length + k]));
        _output.WriteLine($"{name} embedder ({embedder.Pooling}): max |Δ| sentence_embedding {worst:E2}");
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
    public void AnInt8ExportDoesNotImportAndTheErrorSaysInt8IsForServing()
    {
        using var temp = new TempFolder();
        var int8 = temp.File("int8.onnx");
        OnnxExport.Export(new OnnxExportRequest(TestPaths.Fixture("hf-parity", "bert"), int8, OnnxExportKind.Encoder, OnnxQuantization.Int8));
        var e = Assert.Throws<CheckpointException>(() => OnnxEncoderImport.ToFolder(new OnnxImportRequest(int8), temp.File("imported")));
        Assert.Contains("int8-quantized graph", e.Message);
        Assert.Contains("for serving only", e.Message);
        Assert.StartsWith(int8, e.Message);
        Assert.False(Directory.Exists(temp.File("imported")));
        // The CLI verb: bad input, exit 2, the same message, no stack trace.
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var errors, "model", "import", "--onnx", int8, "--output", temp.File("imported")));
        Assert.Contains("int8 graphs are for serving only", errors);
        Assert.DoesNotContain("   at ", errors);
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
            if (outputs.ContainsKey("pooler_output"))
            {
                var pooled = MaxDifference(reference.PoolerOutput!.contiguous().data<float>().ToArray(), outputs["pooler_output"].Values);
                _output.WriteLine($"{label}: max |Δ| pooler_output {pooled:E2}");
                Assert.True(pooled <= Tolerance, $"{label}: pooler_output differs by {pooled:E2}");
            }
        }
    }

    private static double RealTokenDifference(float[] a, float[] b, Inputs inputs, bool perRow = false)
    {
        if (perRow) return MaxDifference(a, b);
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

/// <summary>
/// A CRF tagger trained by <c>acclimate finetune</c> exported to ONNX: ONNX Runtime's emissions
/// with the torch-free <see cref="CrfViterbiDecoder"/> give the labeler's own predictions on real
/// sentences; the decoder equals the torch CRF's Viterbi on random emissions with constraints.
/// </summary>
public sealed class OnnxExportTaggerTests : IDisposable
{
    private static readonly string[][] Sentences =
    {
        "Anna Smith visited Berlin with John yesterday .".Split(' '),
        "The committee in Paris approved the budget .".Split(' '),
        "Mary flew to New York .".Split(' '),
        "Nothing happened .".Split(' '),
        "Bob met Mary and Anna in London and Paris last spring , reportedly .".Split(' '),
    };

    private readonly FineTuneCliFixture _f = new();
    private readonly ITestOutputHelper _output;

    public OnnxExportTaggerTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    public void Dispose() => _f.Dispose();

    [Fact]
    public void CrfTaggerEmissionsAndDecoderReproduceTheLabelersPredictions()
    {
        var run = _f.Temp.File("run-crf");
        var code = FineTuneCliFixture.Run(out var o, out var e, "finetune", "--config", _f.Recipe("crf", model: "crf: true"), "--run-dir", run, "--set", "training.epochs=12");
        Assert.True(code == 0, o + e);
        var folder = Path.Combine(run, "best-model");
        var onnx = _f.Temp.File("tagger.onnx");
        var result = OnnxExport.Export(new OnnxExportRequest(folder, onnx));
        Assert.Equal(OnnxExportKind.Tagger, result.Kind);
        Assert.Equal(new[] { "emissions" }, result.Outputs);
        Assert.Equal(onnx + ".crf.json", result.CrfPath);
        var decoder = CrfViterbiDecoder.Load(result.CrfPath!);
        Assert.NotNull(decoder.Constraints);

        using var labeler = SequenceLabeler.Load(folder);
        Assert.Equal(labeler.Labels, decoder.Labels);
        var encoder = new Acclimate.FineTuning.Tagging.WordEncoder(TokenizerLoader.FromFolder(folder), 64);
        var inputs = Sentences.Select(s => encoder.Encode(s)).ToList();
        var expected = labeler.PredictWords(inputs);

        int batch = inputs.Count, length = inputs.Max(i => i.InputIds.Count), labels = labeler.Labels.Count;
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        for (var r = 0; r < batch; r++)
            for (var t = 0; t < inputs[r].InputIds.Count; t++) { ids[r * length + t] = inputs[r].InputIds[t]; mask[r * length + t] = 1; }
        var shape = new[] { batch, length };
        using var session = new InferenceSession(onnx);
        using var results = session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[batch * length], shape)),
        });
        var emissions = results.First().AsTensor<float>().ToArray();

        // The labeler's own emissions on the same padded batch.
        using (var mode = new Acclimate.FineTuning.EvalModeScope(labeler))
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var ours = labeler.Forward(new ModelInputs(tensor(ids, new long[] { batch, length }), tensor(mask, new long[] { batch, length }))).Logits.contiguous().data<float>().ToArray();
            var worst = 0.0;
            for (var i = 0; i < ours.Length; i++)
                if (mask[i / labels] == 1) worst = Math.Max(worst, Math.Abs(ours[i] - emissions[i]));
            _output.WriteLine($"tagger: {batch}×{length}; max |Δ| emissions {worst:E2} on real tokens");
            Assert.True(worst <= 1e-4, $"emissions differ by {worst:E2}");
        }

        var differentFromArgmax = 0;
        for (var r = 0; r < batch; r++)
        {
            var starts = SubwordAlignment.WordStarts(inputs[r].WordIds);
            var words = new List<float>();
            var argmax = new List<int>();
            for (var t = 0; t < starts.Length; t++)
                if (starts[t])
                {
                    var row = emissions.AsSpan((r * length + t) * labels, labels).ToArray();
                    words.AddRange(row);
                    argmax.Add(Array.IndexOf(row, row.Max()));
                }
            var path = decoder.Decode(words.ToArray(), words.Count / labels);
            Assert.Equal(expected[r].Select(x => x!.Value), path);
            if (!path.SequenceEqual(argmax)) differentFromArgmax++;
            _output.WriteLine(string.Join(" ", Sentences[r].Zip(path, (w, p) => $"{w}/{decoder.Labels[p]}")));
        }
        _output.WriteLine($"{differentFromArgmax} of {batch} sentences decode differently from the per-word argmax");
    }

    [Fact]
    public void MalformedCrfFileIsADataErrorNamingFileAndField()
    {
        var path = _f.Temp.File("bad.crf.json");
        File.WriteAllText(path, """{"format": "acclimate-crf/1", "labels": ["O", "B-X"], "start_transitions": [0, 0], "end_transitions": [0, 0], "transitions": [[0, 0]], "constraints": null}""");
        var e = Assert.Throws<DataException>(() => CrfViterbiDecoder.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'transitions' has 1 rows; expected 2", e.Message);
        File.WriteAllText(path, "{\"format\": \"other\"}");
        Assert.Contains("'format'", Assert.Throws<DataException>(() => CrfViterbiDecoder.Load(path)).Message);
    }

    [Fact]
    public void DecoderEqualsTheTorchCrfOnRandomEmissions()
    {
        var labels = new[] { "O", "B-PER", "I-PER", "B-LOC", "I-LOC" };
        var constraints = new Acclimate.FineTuning.Tagging.TagSpace(Acclimate.Data.Tagging.TaggingScheme.IOB2, Acclimate.Data.Tagging.TaggingScheme.IOB2, labels).Constraints()!;
        foreach (var withConstraints in new[] { true, false })
        {
            using var crf = new ConditionalRandomField(labels.Length, withConstraints ? constraints : null);
            using (no_grad())
            {
                manual_seed(5);
                crf.Transitions.copy_(randn(labels.Length, labels.Length) * 3);
                crf.StartTransitions.copy_(randn(labels.Length));
                crf.EndTransitions.copy_(randn(labels.Length));
            }
            var path = Path.Combine(_f.Temp.Path, $"crf-{withConstraints}.json");
            OnnxExport.CrfDecoder(crf, labels).Save(path);
            var decoder = CrfViterbiDecoder.Load(path);
            using var scope = NewDisposeScope();
            int batch = 40, length = 12;
            var emissions = randn(batch, length, labels.Length) * 2;
            var lengths = Enumerable.Range(0, batch).Select(b => 1 + b % length).ToArray();
            var mask = tensor(Enumerable.Range(0, batch * length).Select(i => i % length < lengths[i / length]).ToArray()).reshape(batch, length);
            var expected = crf.Decode(emissions, mask).Paths;
            var flat = emissions.contiguous().data<float>().ToArray();
            for (var b = 0; b < batch; b++)
                Assert.Equal(expected[b], decoder.Decode(flat.AsSpan(b * length * labels.Length), lengths[b]));
        }
    }
}

/// <summary><c>acclimate model export</c>: writes the graph; bad input exits 2 and writes nothing.</summary>
public sealed class OnnxExportCliTests
{
    [Fact]
    public void ExportWritesTheGraphAndRefusesBadInputWithExitCode2()
    {
        using var temp = new TempFolder();
        var onnx = temp.File("cls.onnx");
        File.WriteAllText(onnx + ".crf.json", "{}");   // left by an earlier export of a CRF tagger to the same name
        var code = FineTuneCliFixture.Run(out var o, out var e, "model", "export", "--onnx", onnx, "--model", TestPaths.Fixture("hf-parity", "bert-seq-cls"));
        Assert.True(code == 0, o + e);
        Assert.False(File.Exists(onnx + ".crf.json"));
        Assert.Contains("classifier, opset 17", o);
        Assert.True(new FileInfo(onnx).Length > 0);
        using (var session = new InferenceSession(onnx))
            Assert.Equal(new[] { "input_ids", "attention_mask", "token_type_ids" }, session.InputMetadata.Keys);

        var refused = temp.File("roberta.onnx");
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var errors, "model", "export", "--onnx", refused, "--model", TestPaths.Fixture("hf-parity", "roberta")));
        Assert.Contains("not supported yet", errors);
        Assert.False(File.Exists(refused));
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out errors, "model", "export", "--onnx", refused, "--model", temp.File("missing")));
        Assert.Contains("missing", errors);
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out errors, "model", "export", "--onnx", refused, "--model", TestPaths.Fixture("hf-parity", "bert"), "--kind", "tagger"));
        Assert.Contains("head_config.json", errors);
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out _, "model", "export", "--onnx", refused, "--model", TestPaths.Fixture("hf-parity", "bert"), "--kind", "decoder"));
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out errors, "model", "export", "--onnx", refused, "--model", TestPaths.Fixture("hf-parity", "bert"), "--quantize", "int4"));
        Assert.Contains("--quantize 'int4'", errors);
        var int8 = temp.File("int8.onnx");
        Assert.Equal(0, FineTuneCliFixture.Run(out o, out e, "model", "export", "--onnx", int8, "--model", TestPaths.Fixture("hf-parity", "bert"), "--quantize", "int8"));
        Assert.Contains("12 Linear layers int8", o);
        Assert.False(File.Exists(refused));
    }

    [Fact]
    public void BiLstmTaggerIsRefused()
    {
        TorchRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        var config = EncoderConfig.Load(Path.Combine(TestPaths.Fixture("hf-parity", "bert"), "config.json"));
        using (var labeler = SequenceLabeler.Create(config, new SequenceLabelerOptions { Labels = new[] { "O", "B-X", "I-X" }, Head = TokenHeadKind.BiLstm, LstmHiddenSize = 4 }))
            labeler.Save(temp.File("tagger"));
        var e = Assert.Throws<ConfigException>(() => OnnxExport.Export(new OnnxExportRequest(temp.File("tagger"), temp.File("t.onnx"))));
        Assert.Contains("BiLstm head", e.Message);
        Assert.False(File.Exists(temp.File("t.onnx")));
    }
}

/// <summary>Sequence classifiers fine-tuned by <c>acclimate finetune</c> (pooler head and mean-pooled head): ONNX Runtime's logits equal the library's on real sentences.</summary>
public sealed class OnnxExportClassifierTests : IDisposable
{
    private static readonly string[] Sentences =
    {
        "The food was great and the staff were friendly.",
        "Awful service , I will not come back .",
        "good",
        "The results were neither good nor bad, but the discussion section was remarkably thorough.",
    };

    private readonly FineTuneCliFixture _f = new();
    private readonly ITestOutputHelper _output;

    public OnnxExportClassifierTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    public void Dispose() => _f.Dispose();

    [Theory]
    [InlineData("mean")]
    [InlineData("pooler")]
    public void FineTunedClassifierLogitsMatchOnnxRuntime(string pooling)
    {
        var data = _f.Temp.File("cls.jsonl");
        File.WriteAllText(data, string.Join("\n", Enumerable.Range(0, 8).Select(i => $"{{\"text\": \"{(i % 2 == 0 ? "good great" : "bad awful")} {i}\", \"label\": \"{(i % 2 == 0 ? "pos" : "neg")}\"}}")) + "\n");
        var run = _f.Temp.File("run-" + pooling);
        var recipe = _f.Recipe("cls-" + pooling, model: pooling == "mean" ? "task: sequence_classification\npooling: mean" : "task: sequence_classification");
        var code = FineTuneCliFixture.Run(out var o, out var e, "finetune", "--config", recipe, "--run-dir", run,
            "--set", "data.format=classification", "--set", $"data.train={data}", "--set", $"data.dev={data}", "--set", $"data.test={data}");
        Assert.True(code == 0, o + e);
        var folder = Path.Combine(run, "best-model");
        Assert.Equal(pooling == "mean", File.Exists(Path.Combine(folder, "pooling.json")));
        var onnx = _f.Temp.File($"cls-{pooling}.onnx");
        var result = OnnxExport.Export(new OnnxExportRequest(folder, onnx));
        Assert.Equal(OnnxExportKind.Classifier, result.Kind);

        var batch = TokenizerLoader.FromFolder(folder).EncodeBatch(Sentences);
        var shape = new[] { batch.BatchSize, batch.SequenceLength };
        float[] ours;
        using (var session = new InferenceSession(onnx))
        using (var results = session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds.Cast<long>().ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask.Cast<long>().ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.TokenTypeIds.Cast<long>().ToArray(), shape)),
        }))
            ours = results.Single(r => r.Name == "logits").AsTensor<float>().ToArray();

        using var model = ClassifierFolder.Load(folder);
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var dims = new long[] { batch.BatchSize, batch.SequenceLength };
        var reference = model.Forward(new ModelInputs(tensor(batch.InputIds.Cast<long>().ToArray(), dims), tensor(batch.AttentionMask.Cast<long>().ToArray(), dims), tensor(batch.TokenTypeIds.Cast<long>().ToArray(), dims)))
            .Logits.contiguous().data<float>().ToArray();
        Assert.Equal(reference.Length, ours.Length);
        var worst = reference.Zip(ours).Max(z => Math.Abs(z.First - z.Second));
        _output.WriteLine($"{pooling} classifier: {batch.BatchSize}×{batch.SequenceLength}; max |Δ| logits {worst:E2}");
        Assert.True(worst <= 1e-4, $"logits differ by {worst:E2}");
        for (var r = 0; r < batch.BatchSize; r++)
            Assert.Equal(ArgMax(reference.AsSpan(r * 2, 2)), ArgMax(ours.AsSpan(r * 2, 2)));
    }

    private static int ArgMax(ReadOnlySpan<float> row) => row[1] > row[0] ? 1 : 0;
}
