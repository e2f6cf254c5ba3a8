using Acclimate.Data.Batching;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Encoders;

/// <summary>Settings of a <see cref="SentenceEmbedder"/>.</summary>
/// <param name="Pooling">Mean over real tokens or the [CLS] vector; null = the folder's 1_Pooling/config.json, else mean.</param>
/// <param name="Normalize">L2-normalise each embedding (the sentence-transformers recipe of both catalog models).</param>
/// <param name="MaxLength">Tokens per text, special tokens included; longer texts are cut on the right.</param>
/// <param name="BatchSize">Texts per forward pass (texts are sorted by length first, so padding stays small).</param>
public sealed record EmbeddingOptions(SentencePooling? Pooling = null, bool Normalize = true, int MaxLength = 256, int BatchSize = 32)
{
    /// <summary>Checks the sizes.</summary>
    /// <exception cref="Acclimate.Errors.ConfigException"><see cref="MaxLength"/> is below 3 or <see cref="BatchSize"/> below 1.</exception>
    public void Validate()
    {
        if (MaxLength < 3) throw new ConfigException($"embedding max length must be at least 3 tokens, got {MaxLength}.");
        if (BatchSize < 1) throw new ConfigException($"embedding batch size must be at least 1, got {BatchSize}.");
    }
}

/// <summary>
/// Sentence embeddings from an encoder folder, as sentence-transformers computes them: tokenize,
/// run the encoder, pool the last hidden state (mean over real tokens, or [CLS]), L2-normalise.
/// </summary>
public sealed class SentenceEmbedder : IDisposable
{
    private readonly TransformerModel _model;
    private readonly ITextTokenizer _tokenizer;
    private readonly Device _device;
    private readonly string _modelFolder;
    private string? _fingerprint;

    /// <summary>Loads the encoder and tokenizer from an HF folder.</summary>
    /// <param name="modelFolder">HF model folder with tokenizer files.</param>
    /// <param name="options">Pooling, normalization and sizes; null = defaults. A null pooling is read from the folder (sentence-transformers' pooling config).</param>
    /// <param name="device">Torch device name; null = the default device.</param>
    public SentenceEmbedder(string modelFolder, EmbeddingOptions? options = null, string? device = null)
    {
        Options = options ?? new EmbeddingOptions();
        Options.Validate();
        TorchRuntime.EnsureInitialized();
        _device = TorchRuntime.ResolveDevice(device);
        _tokenizer = TokenizerLoader.FromFolder(modelFolder);
        Pooling = Options.Pooling ?? PoolingOf(modelFolder);
        var (model, _) = PretrainedModel.Load(modelFolder, ModelTask.Base);
        _model = model;
        _modelFolder = modelFolder;
        _model.to(_device);
        _model.eval();
    }

    /// <summary>The embedding options (the pooling in use is <see cref="Pooling"/>).</summary>
    public EmbeddingOptions Options { get; }

    /// <summary>The pooling in use (given, or read from the folder).</summary>
    public SentencePooling Pooling { get; }

    /// <summary>Width of each embedding.</summary>
    public int Dimension => _model.Config.HiddenSize;

    /// <summary>
    /// SHA-256 (hex) of what decides the embeddings: the folder's config, weights and tokenizer files
    /// and the pooling, normalisation and length settings. Stored beside cached embeddings so that a
    /// cache made with another model or setting is refused rather than silently reused.
    /// </summary>
    public string Fingerprint => _fingerprint ??= ComputeFingerprint();

    private string ComputeFingerprint()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(_modelFolder)
            .Where(f => Path.GetFileName(f) is var n && (n.EndsWith(".safetensors", StringComparison.Ordinal) || n.EndsWith(".json", StringComparison.Ordinal)
                || n is "vocab.txt" or "merges.txt" or "spiece.model" or "sentencepiece.bpe.model"))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer.AsSpan(0, read));
        }
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"pooling={Pooling};normalize={Options.Normalize};max_length={Options.MaxLength}"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>One embedding per text, in input order.</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        var encode = new EncodeOptions { MaxLength = Options.MaxLength };
        var encoded = texts.Select(t => _tokenizer.Encode(t ?? "", options: encode)).ToArray();
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => encoded[i].Count).ToArray();
        using var _ = no_grad();
        for (var start = 0; start < order.Length; start += Options.BatchSize)
        {
            var rows = order.Skip(start).Take(Options.BatchSize).ToArray();
            using var scope = NewDisposeScope();
            var tokens = rows.Select(i => (IReadOnlyList<int>)encoded[i].Ids).ToArray();
            var length = RightPadding.Width(tokens);
            var ids = RightPadding.Pad(tokens, length, _tokenizer.PadTokenId).Select(i => (long)i).ToArray();
            var mask = RightPadding.Mask(tokens.Select(t => t.Count).ToArray(), length);
            var inputIds = tensor(ids, new long[] { rows.Length, length }).to(_device);
            var attention = tensor(mask, new long[] { rows.Length, length }).to(_device);
            var hidden = _model.Encoder.Forward(inputIds, attention).LastHiddenState;
            var pooled = Pool(hidden, attention);
            if (Options.Normalize) pooled = nn.functional.normalize(pooled, p: 2, dim: 1);
            var values = pooled.cpu().contiguous().data<float>().ToArray();
            for (var r = 0; r < rows.Length; r++)
                result[rows[r]] = values.AsSpan(r * Dimension, Dimension).ToArray();
        }
        return result;
    }

    /// <summary>Mean of the real tokens' states (padding excluded), or the first ([CLS]) state.</summary>
    public Tensor Pool(Tensor lastHiddenState, Tensor attentionMask)
    {
        if (Pooling == SentencePooling.Cls) return lastHiddenState.select(1, 0);
        var weights = attentionMask.unsqueeze(-1).to(lastHiddenState.dtype);
        var summed = (lastHiddenState * weights).sum(1);
        var counts = weights.sum(1).clamp_min(1e-9);
        return summed / counts;
    }

    /// <summary>The pooling named by a sentence-transformers 1_Pooling/config.json in <paramref name="modelFolder"/>; mean when absent.</summary>
    public static SentencePooling PoolingOf(string modelFolder)
    {
        var path = Path.Combine(modelFolder, "1_Pooling", "config.json");
        if (!File.Exists(path)) return SentencePooling.Mean;
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new ConfigException($"{path}: not valid JSON ({e.Message}).", e); }
        var cls = node?["pooling_mode_cls_token"]?.GetValue<bool>() ?? false;
        var mean = node?["pooling_mode_mean_tokens"]?.GetValue<bool>() ?? false;
        if (cls == mean)
            throw new ConfigException($"{path}: expected exactly one of pooling_mode_cls_token and pooling_mode_mean_tokens to be true (other poolings are not supported).");
        return cls ? SentencePooling.Cls : SentencePooling.Mean;
    }

    /// <summary>Disposes the model.</summary>
    public void Dispose() => _model.Dispose();
}
