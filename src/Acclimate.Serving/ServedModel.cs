using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.Encoders;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;

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
/// The model behind the server, loaded from its folder with the library's own loaders
/// (<see cref="TaggerEnsemble"/> and <see cref="TextEntities"/>, the classifier folder, or
/// <see cref="SentenceEmbedder"/>). Not thread-safe: <see cref="ModelWorker"/> creates, runs and
/// disposes it on one thread, so every TorchSharp tensor lives and dies on that thread.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private readonly TaggerEnsemble? _tagger;
    private readonly TransformerModel? _classifier;
    private readonly ITextTokenizer? _tokenizer;
    private readonly FineTuneModelOptions? _classifierOptions;
    private readonly SentenceEmbedder? _embedder;

    private ServedModel(ServedModelKind kind, string folder) { Kind = kind; Folder = folder; }

    private ServedModel(string folder, TaggerEnsemble tagger) : this(ServedModelKind.Tagger, folder) => _tagger = tagger;

    private ServedModel(string folder, TransformerModel classifier, ITextTokenizer tokenizer, FineTuneModelOptions options) : this(ServedModelKind.Classifier, folder)
    {
        _classifier = classifier;
        _tokenizer = tokenizer;
        _classifierOptions = options;
    }

    private ServedModel(string folder, SentenceEmbedder embedder) : this(ServedModelKind.Embedder, folder) => _embedder = embedder;

    public ServedModelKind Kind { get; }

    public string Folder { get; }

    /// <summary>Labels (tagger: model labels; classifier: classes); empty for an embedder.</summary>
    public IReadOnlyList<string> Labels => _tagger?.Labels ?? _classifier?.Config.Labels ?? (IReadOnlyList<string>)Array.Empty<string>();

    /// <summary>Embedding size (embedder only).</summary>
    public int? Dimension => _embedder?.Dimension;

    /// <summary>Whether a tagger's spans are entities (a tagging scheme) or one tag per word.</summary>
    public bool PlainTags => _tagger is not null && _tagger.Info.FileScheme is null;

    /// <summary>Which kind of model <paramref name="folder"/> holds, from its marker files.</summary>
    public static ServedModelKind KindOf(string folder)
    {
        if (File.Exists(Path.Combine(folder, SequenceLabeler.HeadConfigFileName))) return ServedModelKind.Tagger;
        if (File.Exists(Path.Combine(folder, ClassificationModelInfo.FileName))) return ServedModelKind.Classifier;
        return ServedModelKind.Embedder;
    }

    public static ServedModel Load(string folder, string? device)
    {
        var dev = TorchRuntime.ResolveDevice(device);
        switch (KindOf(folder))
        {
            case ServedModelKind.Tagger:
                return new ServedModel(folder, TaggerEnsemble.Load(new[] { folder }, dev));
            case ServedModelKind.Classifier:
                var classifier = DevicePlacement.MoveTo(ClassifierFolder.Load(folder), dev);
                try
                {
                    var options = ClassificationModelInfo.TryLoad(folder)!.ToModelOptions(folder);
                    return new ServedModel(folder, classifier, TokenizerLoader.FromFolder(folder), options);
                }
                catch
                {
                    classifier.Dispose();
                    throw;
                }
            default:
                return new ServedModel(folder, new SentenceEmbedder(folder, new EmbeddingOptions(Normalize: true), device));
        }
    }

    /// <summary>Entities or labels for each text, in one pass of the model over all of them.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts)
    {
        if (_tagger is not null)
            return TextEntities.Predict(_tagger, texts).Select(e => new Prediction(e, null, null)).ToArray();
        if (_classifier is not null)
        {
            var inputs = texts.Select(t => ClassificationPredictor.Encode(_tokenizer!, new ClassificationExample(t, null, "", "", 0), _classifierOptions!)).ToArray();
            var predicted = ClassificationPredictor.Predict(_classifier, inputs, _classifier.Config.PadTokenId);
            var labels = _classifier.Config.Labels;
            return predicted.Select(p => new Prediction(null, labels[p.Label],
                labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => (double)p.Probabilities[x.i], StringComparer.Ordinal))).ToArray();
        }
        throw new InvalidOperationException("an embedder has no predictions");
    }

    /// <summary>L2-normalised embeddings of the texts.</summary>
    public float[][] Embed(IReadOnlyList<string> texts) =>
        (_embedder ?? throw new InvalidOperationException("only an encoder folder embeds")).Embed(texts);

    public void Dispose()
    {
        _tagger?.Dispose();
        _classifier?.Dispose();
        _embedder?.Dispose();
    }
}
