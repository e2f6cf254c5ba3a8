using Acclimate.Encoders;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Tagging;
using Acclimate.OnnxRuntime;

namespace Acclimate.Serving;

/// <summary>What a served folder holds, which decides what <c>/v1/predict</c> and <c>/v1/embed</c> answer.</summary>
public enum ServedModelKind
{
    /// <summary>A token classifier (<c>tagging.json</c> and a head): entities with offsets and confidence.</summary>
    Tagger,

    /// <summary>A sequence classifier (<c>classification.json</c>): a label and every label's probability.</summary>
    Classifier,

    /// <summary>An encoder without a task head: L2-normalised sentence embeddings.</summary>
    Embedder,
}

/// <summary>One text's answer from <c>/v1/predict</c>: entities (tagger) or a label with probabilities (classifier).</summary>
internal sealed record Prediction(IReadOnlyList<TextEntity>? Entities, string? Label, IReadOnlyDictionary<string, double>? Probabilities);

/// <summary>
/// The model behind the server, opened by <see cref="InferenceModels"/> on the backend the options
/// ask for (default auto: ONNX Runtime on the float32 export when it matches libtorch on the parity
/// probes, else libtorch — the library's own <see cref="TaggerEnsemble"/> and <see cref="TextEntities"/>,
/// the classifier folder, or <see cref="SentenceEmbedder"/>). Not thread-safe: <see cref="ModelWorker"/>
/// creates, runs and disposes it on one thread, so every TorchSharp tensor lives and dies on that thread.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private readonly ITextPredictor? _predictor;
    private readonly ITextEmbedder? _embedder;

    private ServedModel(string folder, ITextPredictor predictor)
    {
        Folder = folder;
        _predictor = predictor;
        Kind = predictor.Kind == TextModelKind.Tagger ? ServedModelKind.Tagger : ServedModelKind.Classifier;
    }

    private ServedModel(string folder, ITextEmbedder embedder)
    {
        Folder = folder;
        _embedder = embedder;
        Kind = ServedModelKind.Embedder;
    }

    public ServedModelKind Kind { get; }

    public string Folder { get; }

    /// <summary>Labels (tagger: model labels; classifier: classes); empty for an embedder.</summary>
    public IReadOnlyList<string> Labels => _predictor?.Labels ?? (IReadOnlyList<string>)Array.Empty<string>();

    /// <summary>Embedding size (embedder only).</summary>
    public int? Dimension => _embedder?.Dimension;

    /// <summary>Whether a tagger's spans are entities (a tagging scheme) or one tag per word.</summary>
    public bool PlainTags => _predictor?.PlainTags ?? false;

    /// <summary>The engine running the model and why.</summary>
    public BackendChoice Backend => _predictor?.Backend ?? _embedder!.Backend;

    /// <summary>Which kind of model <paramref name="folder"/> holds, from its marker files.</summary>
    public static ServedModelKind KindOf(string folder) => InferenceModels.KindOf(folder) switch
    {
        TextModelKind.Tagger => ServedModelKind.Tagger,
        TextModelKind.Classifier => ServedModelKind.Classifier,
        _ => ServedModelKind.Embedder,
    };

    public static ServedModel Load(ServeOptions options, TextWriter? log)
    {
        var inference = new InferenceOptions(options.Backend, options.CacheDirectory, options.Threads, options.Device);
        return KindOf(options.Model) == ServedModelKind.Embedder
            ? new ServedModel(options.Model, InferenceModels.OpenEmbedder(options.Model, new EmbeddingOptions(Normalize: true), inference, log))
            : new ServedModel(options.Model, InferenceModels.OpenPredictor(options.Model, inference, log));
    }

    /// <summary>Entities or labels for each text, in one pass of the model over all of them.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts)
    {
        if (_predictor is null) throw new InvalidOperationException("an embedder has no predictions");
        var labels = _predictor.Labels;
        return _predictor.Predict(texts).Select(p => p.Entities is not null
            ? new Prediction(p.Entities, null, null)
            : new Prediction(null, p.Label, labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => (double)p.Probabilities![x.i], StringComparer.Ordinal))).ToArray();
    }

    /// <summary>L2-normalised embeddings of the texts.</summary>
    public float[][] Embed(IReadOnlyList<string> texts) =>
        (_embedder ?? throw new InvalidOperationException("only an encoder folder embeds")).Embed(texts);

    public void Dispose()
    {
        _predictor?.Dispose();
        _embedder?.Dispose();
    }
}
