using Acclimate.Encoders;
using Acclimate.Tokenization;

namespace Acclimate.OnnxRuntime;

/// <summary>Sentence embeddings from a model folder, on whichever backend <see cref="Backend"/> names.</summary>
public interface ITextEmbedder : IDisposable
{
    /// <summary>Width of each embedding.</summary>
    int Dimension { get; }

    /// <summary>The pooling in use.</summary>
    SentencePooling Pooling { get; }

    /// <summary>The engine running the model and why it was chosen.</summary>
    BackendChoice Backend { get; }

    /// <summary>One embedding per text, in input order.</summary>
    float[][] Embed(IReadOnlyList<string> texts);
}

/// <summary>The library's <see cref="SentenceEmbedder"/> on libtorch.</summary>
internal sealed class TorchTextEmbedder : ITextEmbedder
{
    public TorchTextEmbedder(SentenceEmbedder embedder, BackendChoice backend)
    {
        Embedder = embedder;
        Backend = backend;
    }

    public SentenceEmbedder Embedder { get; }

    public int Dimension => Embedder.Dimension;

    public SentencePooling Pooling => Embedder.Pooling;

    public BackendChoice Backend { get; internal set; }

    public float[][] Embed(IReadOnlyList<string> texts) => Embedder.Embed(texts);

    public void Dispose() => Embedder.Dispose();
}

/// <summary>
/// Sentence embeddings from the folder's encoder exported to ONNX (<c>last_hidden_state</c>), computed
/// as <see cref="SentenceEmbedder.Embed"/> computes them: each text tokenized with the folder's
/// tokenizer (cut at <see cref="EmbeddingOptions.MaxLength"/>), texts sorted by length and run in
/// batches of <see cref="EmbeddingOptions.BatchSize"/>, right-padded; mean over real tokens (or the
/// first token), then L2-normalised when asked.
/// </summary>
internal sealed class OnnxTextEmbedder : ITextEmbedder
{
    private readonly OnnxGraphSession _session;
    private readonly ITextTokenizer _tokenizer;
    private readonly EmbeddingOptions _options;

    public OnnxTextEmbedder(string modelFolder, string onnxPath, EmbeddingOptions options, int? threads, BackendChoice backend)
    {
        _options = options;
        _tokenizer = TokenizerLoader.FromFolder(modelFolder);
        Pooling = options.Pooling ?? SentenceEmbedder.PoolingOf(modelFolder);
        Dimension = Acclimate.Models.EncoderConfig.Load(Path.Combine(modelFolder, "config.json")).HiddenSize;
        _session = new OnnxGraphSession(onnxPath, _tokenizer.PadTokenId, threads);
        Backend = backend;
    }

    public int Dimension { get; }

    public SentencePooling Pooling { get; }

    public BackendChoice Backend { get; internal set; }

    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        var encode = new EncodeOptions { MaxLength = _options.MaxLength };
        var encoded = texts.Select(t => _tokenizer.Encode(t ?? "", options: encode).Ids).ToArray();
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => encoded[i].Count).ToArray();
        for (var start = 0; start < order.Length; start += _options.BatchSize)
        {
            var rows = order.Skip(start).Take(_options.BatchSize).ToArray();
            var ids = rows.Select(i => encoded[i].Select(x => (long)x).ToArray()).ToArray();
            var (hidden, shape) = _session.Run(ids, "last_hidden_state");
            int length = shape[1], width = shape[2];
            if (width != Dimension) throw new Errors.CheckpointException($"{_session.Path}: last_hidden_state is {width} wide; the model's config.json says hidden_size {Dimension}.");
            for (var r = 0; r < rows.Length; r++)
                result[rows[r]] = Pool(hidden.AsSpan(r * length * width, length * width), ids[r].Length, width);
        }
        return result;
    }

    /// <summary>Pools one row's states [length, width] whose first <paramref name="real"/> positions are real tokens.</summary>
    private float[] Pool(ReadOnlySpan<float> states, int real, int width)
    {
        var pooled = new float[width];
        if (Pooling == SentencePooling.Cls) states[..width].CopyTo(pooled);
        else
        {
            var sum = new double[width];
            for (var t = 0; t < real; t++)
                for (var d = 0; d < width; d++) sum[d] += states[t * width + d];
            var count = Math.Max(real, 1e-9);
            for (var d = 0; d < width; d++) pooled[d] = (float)(sum[d] / count);
        }
        if (_options.Normalize)
        {
            double norm = 0;
            foreach (var x in pooled) norm += (double)x * x;
            var scale = 1.0 / Math.Max(Math.Sqrt(norm), 1e-12);
            for (var d = 0; d < width; d++) pooled[d] = (float)(pooled[d] * scale);
        }
        return pooled;
    }

    public void Dispose() => _session.Dispose();
}
