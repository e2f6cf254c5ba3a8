using System.Globalization;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.Tagging;
using Acclimate.Runtime;

namespace Acclimate.OnnxRuntime;

/// <summary>
/// Opens a model folder for inference on the backend <see cref="InferenceOptions.Backend"/> asks for.
/// <see cref="InferenceBackend.Auto"/> (the default of <c>embed</c> and <c>serve</c>) exports the
/// folder to ONNX once (cached by content, see the cache notes in docs/deploy.md), and on the first
/// use of that export runs both engines on a few probe texts: if every output agrees within
/// <see cref="InferenceOptions.Tolerance"/> (embedding values; class probabilities and the label;
/// the entity list and each entity's confidence), ONNX Runtime runs the model and the verdict is
/// recorded with the export; otherwise — or when the folder cannot be exported (a LoRA adapter
/// folder, a RoBERTa/ALBERT/ELECTRA encoder, a BiLSTM head, …) or the device is not the CPU — the
/// library runs on libtorch, and <see cref="BackendChoice.Reason"/> says why.
/// </summary>
public static class InferenceModels
{
    /// <summary>The probe texts of the parity check (a long one is added for taggers, so sliding windows are checked too).</summary>
    internal static readonly string[] Probes =
    {
        "John Smith flew from Paris to New York on Tuesday to meet the United Nations delegation.",
        "Mutations in BRCA1 cause hereditary breast cancer and ovarian cancer.",
        "ok",
        "Das Wetter in München war gestern schön, sagte Anna Müller (BMW AG) — 12.5% mehr!",
    };

    /// <summary>What a folder holds: a tagger (<c>head_config.json</c>), a classifier (<c>classification.json</c>), or null (an encoder).</summary>
    public static TextModelKind? KindOf(string folder)
    {
        if (File.Exists(Path.Combine(folder, SequenceLabeler.HeadConfigFileName))) return TextModelKind.Tagger;
        if (File.Exists(Path.Combine(folder, ClassificationModelInfo.FileName))) return TextModelKind.Classifier;
        return null;
    }

    /// <summary>Sentence embeddings of the encoder in <paramref name="folder"/> (see the class notes for the choice of backend).</summary>
    /// <exception cref="ConfigException">An explicit <c>onnx</c>/<c>onnx-int8</c> backend that cannot be used (the reason is in the message).</exception>
    public static ITextEmbedder OpenEmbedder(string folder, EmbeddingOptions? embedding = null, InferenceOptions? options = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        embedding ??= new EmbeddingOptions();
        embedding.Validate();
        options ??= new InferenceOptions();
        options.Validate();
        return Open<ITextEmbedder>(folder, OnnxExportKind.Encoder, options, log,
            choice => new TorchTextEmbedder(new SentenceEmbedder(folder, embedding, options.Device), choice),
            (graph, choice) => new OnnxTextEmbedder(folder, graph.OnnxPath, embedding, options.Threads, choice),
            (onnx, torch) =>
            {
                // The long probe fills the input up to the shorter of the cut and the model's positions.
                var positions = Acclimate.Models.EncoderConfig.Load(Path.Combine(folder, "config.json")).MaxPositionEmbeddings;
                var words = Math.Max(1, Math.Min(embedding.MaxLength, positions) - 2);
                var texts = Probes.Append(string.Join(" ", Enumerable.Repeat("word", words))).ToArray();
                var expected = torch.Embed(texts);
                return MaxDiff(onnx.Embed(texts), expected, texts);
            },
            (e, c) => { if (e is TorchTextEmbedder t) t.Backend = c; else ((OnnxTextEmbedder)e).Backend = c; });
    }

    /// <summary>A tagger or classifier folder (see the class notes for the choice of backend).</summary>
    /// <exception cref="ConfigException">The folder holds neither; or an explicit <c>onnx</c>/<c>onnx-int8</c> backend that cannot be used.</exception>
    public static ITextPredictor OpenPredictor(string folder, InferenceOptions? options = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= new InferenceOptions();
        options.Validate();
        var kind = KindOf(folder) ?? throw new ConfigException($"{folder}: neither {SequenceLabeler.HeadConfigFileName} (a tagger) nor {ClassificationModelInfo.FileName} (a classifier); an encoder folder embeds but does not predict.");
        return Open<ITextPredictor>(folder, kind == TextModelKind.Tagger ? OnnxExportKind.Tagger : OnnxExportKind.Classifier, options, log,
            choice => TorchTextPredictor.Load(folder, kind, options.Device, choice),
            (graph, choice) => new OnnxTextPredictor(folder, kind, graph, options.Threads, choice),
            (onnx, torch) =>
            {
                var texts = Probes.ToList();
                if (kind == TextModelKind.Tagger)
                {
                    var maxLength = TaggingModelInfo.Load(folder).MaxLength;
                    texts.Add(string.Join(" ", Enumerable.Repeat(Probes[0], 1 + maxLength / 10)));
                }
                var expected = torch.Predict(texts);
                return MaxDiff(onnx.Predict(texts), expected, texts);
            },
            (p, c) => { if (p is TorchTextPredictor t) t.Backend = c; else ((OnnxTextPredictor)p).Backend = c; });
    }

    private static T Open<T>(string folder, OnnxExportKind exportKind, InferenceOptions options, TextWriter? log,
        Func<BackendChoice, T> torch, Func<CachedOnnxModel, BackendChoice, T> onnx, Func<T, T, (double Diff, string? Mismatch)> compare, Action<T, BackendChoice> setChoice)
        where T : class, IDisposable
    {
        if (!Directory.Exists(folder)) throw new ConfigException($"{folder}: model folder not found.");
        var requested = InferenceBackends.Name(options.Backend);
        T Torch(string reason)
        {
            var choice = new BackendChoice("torch", requested, reason);
            log?.WriteLine(choice);
            return torch(choice);
        }
        if (options.Backend == InferenceBackend.Torch) return Torch("requested");
        var explicitOnnx = options.Backend is InferenceBackend.Onnx or InferenceBackend.OnnxInt8;
        var device = TorchRuntime.ResolveDevice(options.Device);
        if (device.type != TorchSharp.DeviceType.CPU)
        {
            var why = $"device {device.type.ToString().ToLowerInvariant()}: the ONNX Runtime backend runs on the CPU only";
            if (explicitOnnx) throw new ConfigException($"--backend {requested}: {why}; use --device cpu or --backend torch.");
            return Torch(why);
        }
        var int8 = options.Backend == InferenceBackend.OnnxInt8;
        CachedOnnxModel graph;
        try { graph = OnnxModelCache.Ensure(folder, exportKind, int8 ? OnnxQuantization.Int8 : OnnxQuantization.None, options.CacheDirectory, log); }
        catch (Exception e) when (e is AcclimateException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            var why = $"the model cannot be exported to ONNX ({e.Message})";
            if (explicitOnnx) throw new ConfigException($"--backend {requested}: {why}", e);
            return Torch(why);
        }
        // A session ONNX Runtime cannot create (an op or opset it lacks) is a fallback under auto, an error when asked for.
        T? Session(BackendChoice choice, out string? error)
        {
            error = null;
            try { return onnx(graph, choice); }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
            {
                error = $"ONNX Runtime cannot load {graph.OnnxPath} ({e.Message})";
                if (explicitOnnx) throw new ConfigException($"--backend {requested}: {error}", e);
                return null;
            }
        }
        if (int8 || graph.ParityMaxAbsDiff is { } known && known <= options.Tolerance)
        {
            var choice = int8
                ? new BackendChoice("onnx-int8", requested, "requested; dynamic int8 changes the outputs (not parity-checked against libtorch)", graph.OnnxPath)
                : new BackendChoice("onnx", requested, $"parity held when this export was first used (max |Δ| {Format(graph.ParityMaxAbsDiff!.Value)} ≤ {Format(options.Tolerance)} on {Probes.Length + 1} probe texts)", graph.OnnxPath);
            var session = Session(choice, out var error);
            if (session is null) return Torch(error!);
            log?.WriteLine(choice);
            return session;
        }
        // First use of this export: run both engines on the probes.
        var pending = new BackendChoice("onnx", requested, "parity check pending", graph.OnnxPath);
        var ort = Session(pending, out var loadError);
        if (ort is null) return Torch(loadError!);
        T? reference = null;
        try
        {
            reference = torch(new BackendChoice("torch", requested, "parity reference"));
            double diff;
            string? mismatch;
            try { (diff, mismatch) = compare(ort, reference); }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e) { (diff, mismatch) = (double.PositiveInfinity, $"ONNX Runtime failed on a probe: {e.Message}"); }
            if (mismatch is null && diff <= options.Tolerance)
            {
                OnnxModelCache.RecordParity(graph, diff, Probes.Length + 1);
                reference.Dispose();
                reference = null;
                var choice = new BackendChoice("onnx", requested, $"parity held (max |Δ| {Format(diff)} ≤ {Format(options.Tolerance)} against libtorch on {Probes.Length + 1} probe texts)", graph.OnnxPath);
                setChoice(ort, choice);
                log?.WriteLine(choice);
                return ort;
            }
            var failed = mismatch ?? $"max |Δ| {Format(diff)} > {Format(options.Tolerance)}";
            if (explicitOnnx) throw new ConfigException($"--backend {requested}: ONNX Runtime disagrees with libtorch on the parity probes ({failed}); use --backend torch.");
            ort.Dispose();
            var fallback = new BackendChoice("torch", requested, $"ONNX Runtime failed the parity check against libtorch ({failed})");
            setChoice(reference, fallback);
            log?.WriteLine(fallback);
            var kept = reference;
            reference = null;
            return kept;
        }
        catch
        {
            ort.Dispose();
            throw;
        }
        finally
        {
            reference?.Dispose();
        }
    }

    private static string Format(double x) => x.ToString("0.###e+0", CultureInfo.InvariantCulture);

    /// <summary>Largest |Δ| between two sets of embeddings.</summary>
    internal static (double, string?) MaxDiff(float[][] a, float[][] b, IReadOnlyList<string> texts)
    {
        double max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i].Length != b[i].Length) return (double.PositiveInfinity, $"probe {i}: embedding widths {a[i].Length} and {b[i].Length}");
            for (var d = 0; d < a[i].Length; d++)
            {
                var diff = Math.Abs((double)a[i][d] - b[i][d]);
                if (double.IsNaN(diff)) return (double.PositiveInfinity, $"probe {i}: NaN in an embedding");
                max = Math.Max(max, diff);
            }
        }
        return (max, null);
    }

    /// <summary>Largest |Δ| between two predictions of the probes (probabilities, confidences), or the first difference in labels or entity spans.</summary>
    internal static (double, string?) MaxDiff(IReadOnlyList<TextPrediction> a, IReadOnlyList<TextPrediction> b, IReadOnlyList<string> texts)
    {
        double max = 0;
        for (var i = 0; i < a.Count; i++)
        {
            var (x, y) = (a[i], b[i]);
            if (x.Label != y.Label) return (double.PositiveInfinity, $"probe {i}: label '{x.Label}' vs '{y.Label}'");
            if (x.Probabilities is not null && y.Probabilities is not null)
                for (var l = 0; l < x.Probabilities.Count; l++) max = Math.Max(max, Math.Abs((double)x.Probabilities[l] - y.Probabilities[l]));
            var (ex, ey) = (x.Entities ?? Array.Empty<TextEntity>(), y.Entities ?? Array.Empty<TextEntity>());
            if (ex.Count != ey.Count) return (double.PositiveInfinity, $"probe {i}: {ex.Count} entities vs {ey.Count}");
            for (var k = 0; k < ex.Count; k++)
            {
                if (ex[k].Type != ey[k].Type || ex[k].Start != ey[k].Start || ex[k].End != ey[k].End)
                    return (double.PositiveInfinity, $"probe {i}: entity {ex[k].Type} [{ex[k].Start}, {ex[k].End}) vs {ey[k].Type} [{ey[k].Start}, {ey[k].End})");
                max = Math.Max(max, Math.Abs(ex[k].Confidence - ey[k].Confidence));
            }
        }
        return (double.IsNaN(max) ? double.PositiveInfinity : max, null);
    }
}
