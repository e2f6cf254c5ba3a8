using System.Text.Json.Nodes;
using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;

namespace Acclimate.OnnxRuntime;

/// <summary>What a task model folder predicts.</summary>
public enum TextModelKind
{
    /// <summary>A token classifier saved by <c>acclimate finetune</c> (<c>head_config.json</c>): entities with offsets and confidence.</summary>
    Tagger,

    /// <summary>A sequence classifier (<c>classification.json</c>): a label and every label's probability.</summary>
    Classifier,
}

/// <summary>One text's prediction: entities (tagger) or a label with every label's probability (classifier, in <see cref="ITextPredictor.Labels"/> order).</summary>
/// <param name="Entities">A tagger's entities (plain tags: every word with its tag), else null.</param>
/// <param name="Label">A classifier's label, else null.</param>
/// <param name="Probabilities">A classifier's class probabilities by label index, else null.</param>
public sealed record TextPrediction(IReadOnlyList<TextEntity>? Entities, string? Label, IReadOnlyList<float>? Probabilities);

/// <summary>A tagger or classifier folder, on whichever backend <see cref="Backend"/> names.</summary>
public interface ITextPredictor : IDisposable
{
    /// <summary>Tagger or classifier.</summary>
    TextModelKind Kind { get; }

    /// <summary>Tagger: the model's labels; classifier: the classes.</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>Whether a tagger's spans are one tag per word (no tagging scheme) rather than entities.</summary>
    bool PlainTags { get; }

    /// <summary>The engine running the model and why it was chosen.</summary>
    BackendChoice Backend { get; }

    /// <summary>One prediction per text, in input order.</summary>
    IReadOnlyList<TextPrediction> Predict(IReadOnlyList<string> texts);
}

/// <summary>The library on libtorch: <see cref="TaggerEnsemble"/> + <see cref="TextEntities"/> (what <c>predict</c> runs), or the classifier folder + <see cref="ClassificationPredictor"/>.</summary>
internal sealed class TorchTextPredictor : ITextPredictor
{
    private readonly TaggerEnsemble? _tagger;
    private readonly TransformerModel? _classifier;
    private readonly ITextTokenizer? _tokenizer;
    private readonly FineTuneModelOptions? _classifierOptions;

    private TorchTextPredictor(TaggerEnsemble tagger, BackendChoice backend)
    {
        _tagger = tagger;
        Kind = TextModelKind.Tagger;
        Backend = backend;
    }

    private TorchTextPredictor(TransformerModel classifier, ITextTokenizer tokenizer, FineTuneModelOptions options, BackendChoice backend)
    {
        _classifier = classifier;
        _tokenizer = tokenizer;
        _classifierOptions = options;
        Kind = TextModelKind.Classifier;
        Backend = backend;
    }

    public static TorchTextPredictor Load(string folder, TextModelKind kind, string? device, BackendChoice backend)
    {
        var dev = TorchRuntime.ResolveDevice(device);
        if (kind == TextModelKind.Tagger) return new TorchTextPredictor(TaggerEnsemble.Load(new[] { folder }, dev), backend);
        var classifier = DevicePlacement.MoveTo(ClassifierFolder.Load(folder), dev);
        try
        {
            var options = ClassificationModelInfo.TryLoad(folder)!.ToModelOptions(folder);
            return new TorchTextPredictor(classifier, TokenizerLoader.FromFolder(folder), options, backend);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    public TextModelKind Kind { get; }

    public IReadOnlyList<string> Labels => _tagger?.Labels ?? _classifier!.Config.Labels;

    public bool PlainTags => _tagger is not null && _tagger.Info.FileScheme is null;

    public BackendChoice Backend { get; internal set; }

    public IReadOnlyList<TextPrediction> Predict(IReadOnlyList<string> texts)
    {
        if (_tagger is not null)
            return TextEntities.Predict(_tagger, texts).Select(e => new TextPrediction(e, null, null)).ToArray();
        var inputs = texts.Select(t => ClassificationPredictor.Encode(_tokenizer!, new ClassificationExample(t, null, "", "", 0), _classifierOptions!)).ToArray();
        var labels = _classifier!.Config.Labels;
        return ClassificationPredictor.Predict(_classifier, inputs, _classifier.Config.PadTokenId)
            .Select(p => new TextPrediction(null, labels[p.Label], p.Probabilities)).ToArray();
    }

    public void Dispose()
    {
        _tagger?.Dispose();
        _classifier?.Dispose();
    }
}

/// <summary>
/// A tagger or classifier exported to ONNX and run with ONNX Runtime, with the library's tokenizer
/// and torch-free decoders, computing what <see cref="TorchTextPredictor"/> computes: for a tagger,
/// words as the tokenizer pre-splits the text, each word's subwords encoded alone and the word
/// scored at its first subword, sentences longer than one input cut into the same sliding windows
/// (each token's scores from the window where it has most context, the earlier on a tie), Viterbi
/// with the CRF (<see cref="CrfViterbiDecoder"/>) or the argmax, tags mapped to the files' scheme, and
/// each entity's confidence from the CRF posterior (<see cref="CrfPosterior"/>) or the product of
/// the words' softmax probabilities; for a classifier, <see cref="ClassificationPredictor.Encode"/>'s
/// inputs, softmax over the logits, the first maximum as the label.
/// </summary>
internal sealed class OnnxTextPredictor : ITextPredictor
{
    private const int BatchSize = 32;
    private readonly OnnxGraphSession _session;
    private readonly ITextTokenizer _tokenizer;
    private readonly TaggingModelInfo? _info;
    private readonly CrfViterbiDecoder? _crf;
    private readonly TagSpace? _space;
    private readonly FineTuneModelOptions? _classifierOptions;
    private readonly Dictionary<string, long[]> _pieces = new(StringComparer.Ordinal);

    public OnnxTextPredictor(string folder, TextModelKind kind, CachedOnnxModel graph, int? threads, BackendChoice backend)
    {
        Kind = kind;
        Backend = backend;
        _tokenizer = TokenizerLoader.FromFolder(folder);
        if (kind == TextModelKind.Tagger)
        {
            _info = TaggingModelInfo.Load(folder);
            _crf = graph.CrfPath is null ? null : CrfViterbiDecoder.Load(graph.CrfPath);
            Labels = _crf?.Labels ?? HeadLabels(folder);
            _space = new TagSpace(_info.FileScheme, _info.ModelScheme, Labels);
        }
        else
        {
            Labels = EncoderConfig.Load(Path.Combine(folder, "config.json")).Labels;
            _classifierOptions = ClassificationModelInfo.TryLoad(folder)!.ToModelOptions(folder);
        }
        _session = new OnnxGraphSession(graph.OnnxPath, _tokenizer.PadTokenId, threads);
    }

    public TextModelKind Kind { get; }

    public IReadOnlyList<string> Labels { get; }

    public bool PlainTags => _info is not null && _info.FileScheme is null;

    public BackendChoice Backend { get; internal set; }

    private static string[] HeadLabels(string folder)
    {
        var path = Path.Combine(folder, SequenceLabeler.HeadConfigFileName);
        var head = JsonNode.Parse(File.ReadAllText(path));
        return (head?["labels"] as JsonArray ?? throw new CheckpointException($"{path}: no 'labels' array."))
            .Select(l => l!.GetValue<string>()).ToArray();
    }

    public IReadOnlyList<TextPrediction> Predict(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return Kind == TextModelKind.Tagger ? Tag(texts) : Classify(texts);
    }

    private IReadOnlyList<TextPrediction> Classify(IReadOnlyList<string> texts)
    {
        var inputs = texts.Select(t => ClassificationPredictor.Encode(_tokenizer, new ClassificationExample(t, null, "", "", 0), _classifierOptions!)).ToArray();
        var results = new List<TextPrediction>(texts.Count);
        for (var first = 0; first < inputs.Length; first += BatchSize)
        {
            var chunk = inputs.Skip(first).Take(BatchSize).ToArray();
            var (logits, shape) = _session.Run(chunk, "logits");
            var n = shape[1];
            for (var r = 0; r < chunk.Length; r++)
            {
                var p = Softmax(logits.AsSpan(r * n, n));
                results.Add(new TextPrediction(null, Labels[Array.IndexOf(p, p.Max())], p));
            }
        }
        return results;
    }

    private IReadOnlyList<TextPrediction> Tag(IReadOnlyList<string> texts)
    {
        var words = texts.Select(t => TextEntities.Words(_tokenizer, t)).ToArray();
        var scores = WordEmissions(words.Select(w => (IReadOnlyList<string>)w.Select(x => x.Word).ToArray()).ToArray());
        var results = new TextPrediction[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            var (w, s) = (words[i], scores[i]);
            var ids = Decode(s);
            var fileTags = _space!.ToFile(ids.Select(id => Labels[id]).ToArray());
            CrfPosterior? crfPosterior = null;
            float[,]? probabilities = null;
            double Confidence(int start, int end)
            {
                if (_crf is not null) return (crfPosterior ??= _crf.Posterior(s)).SpanProbability(start, ids.AsSpan(start, end - start));
                probabilities ??= WordSoftmax.Of(s);
                var p = 1.0;
                for (var k = start; k < end; k++) p *= probabilities[k, ids[k]];
                return p;
            }
            var text = texts[i];
            IReadOnlyList<TextEntity> entities = _info!.FileScheme is { } scheme
                ? TagDecoder.Decode(fileTags, scheme).Select(e => new TextEntity(e.Type, w[e.Start].Start, w[e.End - 1].End,
                    text[w[e.Start].Start..w[e.End - 1].End], Confidence(e.Start, e.End))).ToArray()
                : Enumerable.Range(0, w.Count).Select(j => new TextEntity(fileTags[j], w[j].Start, w[j].End, w[j].Word, Confidence(j, j + 1))).ToArray();
            results[i] = new TextPrediction(entities, null, null);
        }
        return results;
    }

    /// <summary>Best label ids per word: CRF Viterbi, or the argmax (first maximum) without a CRF.</summary>
    private int[] Decode(float[,] scores)
    {
        int words = scores.GetLength(0), labels = scores.GetLength(1);
        if (words == 0) return Array.Empty<int>();
        var flat = new float[words * labels];
        Buffer.BlockCopy(scores, 0, flat, 0, flat.Length * sizeof(float));
        if (_crf is not null) return _crf.Decode(flat, words);
        var ids = new int[words];
        for (var w = 0; w < words; w++)
        {
            var best = 0;
            for (var l = 1; l < labels; l++) if (scores[w, l] > scores[w, best]) best = l;
            ids[w] = best;
        }
        return ids;
    }

    private static float[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var x in logits) max = Math.Max(max, x);
        double sum = 0;
        foreach (var x in logits) sum += Math.Exp(x - max);
        var p = new float[logits.Length];
        for (var i = 0; i < p.Length; i++) p[i] = (float)(Math.Exp(logits[i] - max) / sum);
        return p;
    }

    private int ContentLength => _info!.MaxLength - 2;

    /// <summary>Per sentence, the emissions of each word's first subword [words, labels].</summary>
    private float[][,] WordEmissions(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        var n = Labels.Count;
        var stride = Math.Min(_info!.Stride, ContentLength - 1);
        // Rows: one per short sentence, one per window of a long one; (sentence, window start).
        var rows = new List<(int Sentence, int Start, long[] Ids)>();
        var plans = new (int[] FirstPiece, SlidingWindowPlan Plan)[sentences.Count];
        for (var s = 0; s < sentences.Count; s++)
        {
            var content = new List<long>();
            var first = new int[sentences[s].Count];
            for (var w = 0; w < first.Length; w++) { first[w] = content.Count; content.AddRange(Pieces(sentences[s][w])); }
            var plan = SlidingWindowPlan.Create(content.Count, ContentLength, stride);
            plans[s] = (first, plan);
            foreach (var (start, length) in plan.Windows)
            {
                var ids = new long[length + 2];
                ids[0] = _tokenizer.ClsTokenId;
                content.CopyTo(start, ids, 1, length);
                ids[^1] = _tokenizer.SepTokenId;
                rows.Add((s, start, ids));
            }
        }
        var outputs = new float[rows.Count][];
        var order = Enumerable.Range(0, rows.Count).OrderBy(i => rows[i].Ids.Length).ToArray();
        for (var b = 0; b < order.Length; b += BatchSize)
        {
            var chunk = order.Skip(b).Take(BatchSize).ToArray();
            var (emissions, shape) = _session.Run(chunk.Select(i => rows[i].Ids).ToArray(), "emissions");
            var width = shape[1] * n;
            if (shape[2] != n) throw new CheckpointException($"{_session.Path}: emissions have {shape[2]} labels; the tagger has {n}.");
            for (var r = 0; r < chunk.Length; r++) outputs[chunk[r]] = emissions.AsSpan(r * width, width).ToArray();
        }
        var results = new float[sentences.Count][,];
        var next = 0;
        for (var s = 0; s < sentences.Count; s++)
        {
            var (first, plan) = plans[s];
            var scores = new float[first.Length, n];
            for (var w = 0; w < first.Length; w++)
            {
                var p = first[w];
                var owner = plan.Owner[p];
                var row = outputs[next + owner];
                var position = 1 + p - plan.Windows[owner].Start;
                for (var l = 0; l < n; l++) scores[w, l] = row[position * n + l];
            }
            results[s] = scores;
            next += plan.Windows.Count;
        }
        return results;
    }

    /// <summary>The subword ids of one word, alone (a word that tokenizes to nothing is [UNK]).</summary>
    private long[] Pieces(string word)
    {
        if (_pieces.TryGetValue(word, out var cached)) return cached;
        var ids = _tokenizer.Encode(word, null, new EncodeOptions { AddSpecialTokens = false }).Ids;
        return _pieces[word] = ids.Count == 0 ? new long[] { _tokenizer.UnkTokenId } : ids.Select(i => (long)i).ToArray();
    }

    public void Dispose() => _session.Dispose();
}
