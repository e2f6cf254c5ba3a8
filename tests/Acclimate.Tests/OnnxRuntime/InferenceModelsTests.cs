using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Tagging;
using Acclimate.OnnxRuntime;
using Acclimate.Tests.FineTuning;
using Acclimate.Tests.FineTuning.Tagging;

namespace Acclimate.Tests.OnnxRuntime;

/// <summary>
/// The ONNX Runtime backend against the library on libtorch, on tiny random models: embeddings,
/// CRF and softmax taggers (entities, offsets, confidences; sentences longer than one input go
/// through sliding windows) and a classifier agree within 1e-4; the auto backend falls back to
/// libtorch with its reason when the model does not export or the parity check fails; a corrupt
/// cached graph is detected by its hash and exported again.
/// </summary>
public sealed class InferenceModelsTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempFolder _temp = new();

    private static readonly string[] Texts =
    {
        "John Smith flew from Paris to New York .",
        "Mary met Bob in Berlin yesterday",
        "",
        "Anna and Peter visited London, Rome and Madrid with John, Mary and their friends from Heidelberg last summer; then they flew home.",
        "Paris",
    };

    public void Dispose() => _temp.Dispose();

    private string Cache => _temp.File("cache");

    private InferenceOptions Options(InferenceBackend backend = InferenceBackend.Auto, double tolerance = Tolerance) =>
        new(backend, Cache, Threads: 1, Device: "cpu", Tolerance: tolerance);

    private string TinyEncoder(string name, string type = "bert")
    {
        var folder = _temp.File(name);
        var code = FineTuneCliFixture.Run(out var o, out var e, "model", "init", "--type", type, "--tokenizer", TestPaths.Fixture("tokenizers", "bert-base-cased"),
            "--output", folder, "--layers", "2", "--hidden", "16", "--heads", "2", "--intermediate", "32", "--max-positions", "64", "--seed", "5");
        Assert.True(code == 0, o + e);
        return folder;
    }

    private static void AssertSameEmbeddings(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (var d = 0; d < expected[i].Length; d++) worst = Math.Max(worst, Math.Abs(expected[i][d] - actual[i][d]));
        }
        Assert.True(worst <= Tolerance, $"max |Δ| {worst}");
    }

    private static void AssertSameEntities(IReadOnlyList<IReadOnlyList<TextEntity>> expected, IReadOnlyList<TextPrediction> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var got = actual[i].Entities!;
            Assert.Equal(expected[i].Select(e => (e.Type, e.Start, e.End, e.Text)), got.Select(e => (e.Type, e.Start, e.End, e.Text)));
            for (var k = 0; k < got.Count; k++)
                Assert.True(Math.Abs(expected[i][k].Confidence - got[k].Confidence) <= Tolerance, $"text {i} entity {k}: {expected[i][k].Confidence} vs {got[k].Confidence}");
        }
    }

    [Fact]
    public void Embedder_on_onnx_runtime_equals_the_library_and_the_verdict_is_cached()
    {
        var folder = TinyEncoder("encoder");
        var texts = Texts.Append(string.Join(" ", Enumerable.Repeat("a rather long sentence about Paris", 20))).ToArray();
        var embedding = new EmbeddingOptions(MaxLength: 48, BatchSize: 2);
        using var torch = new SentenceEmbedder(folder, embedding, "cpu");
        var expected = torch.Embed(texts);

        var log = new StringWriter();
        using (var onnx = InferenceModels.OpenEmbedder(folder, embedding, Options(), log))
        {
            Assert.Equal("onnx", onnx.Backend.Backend);
            Assert.Contains("parity held (max |Δ|", onnx.Backend.Reason);
            Assert.Equal(16, onnx.Dimension);
            AssertSameEmbeddings(expected, onnx.Embed(texts));
        }
        Assert.Contains("exported", log.ToString());
        // Second use: the export and its verdict come from the cache.
        using (var again = InferenceModels.OpenEmbedder(folder, embedding, Options()))
        {
            Assert.Equal("onnx", again.Backend.Backend);
            Assert.Contains("when this export was first used", again.Backend.Reason);
            AssertSameEmbeddings(expected, again.Embed(texts));
        }
        // Mean vs [CLS] and unnormalised vectors come from the same graph.
        var cls = embedding with { Pooling = SentencePooling.Cls, Normalize = false };
        using var torchCls = new SentenceEmbedder(folder, cls, "cpu");
        using var onnxCls = InferenceModels.OpenEmbedder(folder, cls, Options());
        Assert.Equal("onnx", onnxCls.Backend.Backend);
        AssertSameEmbeddings(torchCls.Embed(texts), onnxCls.Embed(texts));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tagger_on_onnx_runtime_gives_the_librarys_entities_and_confidences(bool crf)
    {
        var folder = TinyTaggerFolder.Create(_temp.File("tagger-" + crf), crf, seed: 11);
        // Texts longer than the tagger's 16 tokens are tagged through sliding windows on both engines.
        var texts = Texts.Append(string.Join(" ", Enumerable.Repeat("John Smith met Anna in Paris .", 6))).ToArray();
        IReadOnlyList<IReadOnlyList<TextEntity>> expected;
        using (var tagger = TaggerEnsemble.Load(new[] { folder })) expected = TextEntities.Predict(tagger, texts);
        Assert.True(expected.Sum(e => e.Count) >= 5, "the random tagger should find some entities for the comparison to mean something");

        using var onnx = InferenceModels.OpenPredictor(folder, Options());
        Assert.Equal("onnx", onnx.Backend.Backend);
        Assert.Equal(TextModelKind.Tagger, onnx.Kind);
        Assert.Equal(TinyTaggerFolder.Labels, onnx.Labels);
        AssertSameEntities(expected, onnx.Predict(texts));
        using var torch = InferenceModels.OpenPredictor(folder, Options(InferenceBackend.Torch));
        Assert.Equal("torch", torch.Backend.Backend);
        Assert.Equal("requested", torch.Backend.Reason);
        AssertSameEntities(expected, torch.Predict(texts));
    }

    [Fact]
    public void Classifier_on_onnx_runtime_gives_the_librarys_labels_and_probabilities()
    {
        var folder = TinyClassifier.Create(_temp.File("classifier"));
        var texts = new[] { "A fine film.", "Terrible, long and loud; I left early.", "", string.Join(" ", Enumerable.Repeat("so long", 40)) };
        using var torch = InferenceModels.OpenPredictor(folder, Options(InferenceBackend.Torch));
        using var onnx = InferenceModels.OpenPredictor(folder, Options());
        Assert.Equal("onnx", onnx.Backend.Backend);
        Assert.Equal(TextModelKind.Classifier, onnx.Kind);
        var (a, b) = (torch.Predict(texts), onnx.Predict(texts));
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(a[i].Label, b[i].Label);
            for (var l = 0; l < 3; l++) Assert.True(Math.Abs(a[i].Probabilities![l] - b[i].Probabilities![l]) <= Tolerance);
            Assert.Equal(1.0, b[i].Probabilities!.Sum(p => (double)p), 4);
        }
    }

    [Fact]
    public void Auto_falls_back_to_libtorch_with_the_reason_when_the_model_does_not_export()
    {
        var folder = TinyEncoder("roberta", "roberta");
        var log = new StringWriter();
        using (var embedder = InferenceModels.OpenEmbedder(folder, null, Options(), log))
        {
            Assert.Equal("torch", embedder.Backend.Backend);
            Assert.Contains("cannot be exported to ONNX", embedder.Backend.Reason);
            Assert.Contains("model_type 'roberta' is not supported", embedder.Backend.Reason);
            Assert.Equal(16, embedder.Embed(new[] { "still embeds" })[0].Length);
        }
        Assert.Contains("backend torch (requested auto): the model cannot be exported", log.ToString());
        // Asked for explicitly, ONNX Runtime is not silently replaced.
        var e = Assert.Throws<ConfigException>(() => InferenceModels.OpenEmbedder(folder, null, Options(InferenceBackend.Onnx)));
        Assert.Contains("--backend onnx: the model cannot be exported", e.Message);
        Assert.False(Directory.EnumerateFileSystemEntries(OnnxModelCache.Root(Cache)).Any(), "a failed export leaves nothing in the cache");
    }

    [Fact]
    public void Auto_falls_back_to_libtorch_when_the_parity_check_fails()
    {
        var folder = TinyEncoder("encoder");
        // A tolerance no float32 engine pair meets stands in for an export that computes something else.
        using var embedder = InferenceModels.OpenEmbedder(folder, null, Options(tolerance: 1e-300));
        Assert.Equal("torch", embedder.Backend.Backend);
        Assert.Contains("failed the parity check against libtorch (max |Δ|", embedder.Backend.Reason);
        var e = Assert.Throws<ConfigException>(() => InferenceModels.OpenEmbedder(folder, null, Options(InferenceBackend.Onnx, tolerance: 1e-300)));
        Assert.Contains("disagrees with libtorch", e.Message);
    }

    [Fact]
    public void A_corrupt_cached_graph_is_detected_and_exported_again()
    {
        var folder = TinyTaggerFolder.Create(_temp.File("tagger"), crf: true, seed: 3);
        string onnxPath;
        using (var first = InferenceModels.OpenPredictor(folder, Options()))
        {
            Assert.Equal("onnx", first.Backend.Backend);
            onnxPath = first.Backend.OnnxPath!;
        }
        // Same length, one byte flipped in the middle (a weight): only the hash can tell.
        var bytes = File.ReadAllBytes(onnxPath);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(onnxPath, bytes);
        var log = new StringWriter();
        using var second = InferenceModels.OpenPredictor(folder, Options(), log);
        Assert.Contains("(truncated or altered); exporting again", log.ToString());
        Assert.Contains("exporting again", log.ToString());
        Assert.Equal("onnx", second.Backend.Backend);
        Assert.Contains("parity held (max |Δ|", second.Backend.Reason);   // checked afresh, not the old verdict
        Assert.NotNull(OnnxModelCache.TryOpen(Path.GetDirectoryName(onnxPath)!, out var problem));
        Assert.Null(problem);
        // A cache entry without its record (an interrupted export) is redone too.
        File.Delete(Path.Combine(Path.GetDirectoryName(onnxPath)!, "entry.json"));
        Assert.Null(OnnxModelCache.TryOpen(Path.GetDirectoryName(onnxPath)!, out problem));
        Assert.Contains("interrupted", problem);
        using var third = InferenceModels.OpenPredictor(folder, Options());
        Assert.Equal("onnx", third.Backend.Backend);
    }

    [Fact]
    public void A_graph_onnx_runtime_cannot_load_falls_back_under_auto_and_is_an_error_under_onnx()
    {
        var folder = TinyEncoder("encoder");
        string onnxPath;
        using (var first = InferenceModels.OpenEmbedder(folder, null, Options())) onnxPath = first.Backend.OnnxPath!;
        // Not a protobuf, yet recorded as the entry's graph (hash updated): only ONNX Runtime can object.
        File.WriteAllText(onnxPath, "this is not an ONNX model");
        var entry = Path.Combine(Path.GetDirectoryName(onnxPath)!, "entry.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(entry))!;
        node["onnx_sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(onnxPath)));
        File.WriteAllText(entry, node.ToJsonString());
        using (var embedder = InferenceModels.OpenEmbedder(folder, null, Options()))
        {
            Assert.Equal("torch", embedder.Backend.Backend);
            Assert.Contains("ONNX Runtime cannot load", embedder.Backend.Reason);
        }
        var e = Assert.Throws<ConfigException>(() => InferenceModels.OpenEmbedder(folder, null, Options(InferenceBackend.Onnx)));
        Assert.Contains("--backend onnx: ONNX Runtime cannot load", e.Message);
    }

    [Fact]
    public void A_changed_model_gets_a_new_export_and_the_superseded_one_is_removed()
    {
        var folder = TinyTaggerFolder.Create(_temp.File("tagger"), crf: false, seed: 4);
        string first;
        using (var p = InferenceModels.OpenPredictor(folder, Options())) first = Path.GetDirectoryName(p.Backend.OnnxPath!)!;
        // Another window stride in tagging.json: a different model folder content, so a different key.
        new TaggingModelInfo(Acclimate.Data.Tagging.TaggingScheme.IOB2, Acclimate.Data.Tagging.TaggingScheme.IOB2, 16, 6).Save(folder);
        var log = new StringWriter();
        using var again = InferenceModels.OpenPredictor(folder, Options(), log);
        var second = Path.GetDirectoryName(again.Backend.OnnxPath!)!;
        Assert.NotEqual(first, second);
        Assert.False(Directory.Exists(first));
        Assert.Contains("superseded", log.ToString());
        Assert.Single(Directory.GetDirectories(OnnxModelCache.Root(Cache)));
    }

    [Fact]
    public void Int8_runs_only_when_asked_and_says_it_is_not_parity_checked()
    {
        var folder = TinyEncoder("encoder");
        using var torch = new SentenceEmbedder(folder, null, "cpu");
        using var int8 = InferenceModels.OpenEmbedder(folder, null, Options(InferenceBackend.OnnxInt8));
        Assert.Equal("onnx-int8", int8.Backend.Backend);
        Assert.Contains("not parity-checked", int8.Backend.Reason);
        var (a, b) = (torch.Embed(Texts[..2]), int8.Embed(Texts[..2]));
        for (var i = 0; i < 2; i++)
        {
            var cosine = a[i].Zip(b[i]).Sum(z => (double)z.First * z.Second);
            Assert.True(cosine > 0.9, $"cosine {cosine}");
            Assert.True(a[i].Zip(b[i]).Max(z => Math.Abs(z.First - z.Second)) > 0, "int8 weights change the outputs");
        }
        Assert.Throws<ConfigException>(() => InferenceBackends.Parse("onnx-fp16"));
        Assert.Equal(InferenceBackend.Auto, InferenceBackends.Parse(null));
        Assert.Equal(InferenceBackend.OnnxInt8, InferenceBackends.Parse("onnx-int8"));
    }
}

/// <summary>A tiny random BERT sequence classifier saved as <c>finetune</c> saves one (3 classes, max length 32).</summary>
internal static class TinyClassifier
{
    public static readonly string[] Labels = { "negative", "neutral", "positive" };

    public static string Create(string folder, int seed = 2)
    {
        var tokenizer = Acclimate.Tokenization.TokenizerLoader.FromFolder(TestPaths.Fixture("tokenizers", "bert-base-cased"));
        TorchSharp.torch.manual_seed(seed);
        var config = Acclimate.Models.EncoderConfig.Create(Acclimate.Models.ModelType.Bert, tokenizer.VocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24, maxPositions: 64)
            .WithLabels(Labels);
        using (var model = Acclimate.Models.ModelFactory.Create(config, Acclimate.Models.ModelTask.SequenceClassification))
        {
            Directory.CreateDirectory(folder);
            Acclimate.FineTuning.ClassifierFolder.Save(model, folder, tokenizer.SaveTo);
        }
        new Acclimate.FineTuning.Classification.ClassificationModelInfo(32, Acclimate.FineTuning.TruncationStrategy.Head, 16).Save(folder);
        return folder;
    }
}
