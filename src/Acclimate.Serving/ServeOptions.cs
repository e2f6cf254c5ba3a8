using Acclimate.Errors;
using Acclimate.OnnxRuntime;

namespace Acclimate.Serving;

/// <summary>
/// Settings of <c>acclimate serve</c>. <see cref="Validate"/> runs once, when the server starts.
/// </summary>
/// <param name="Model">The model folder: a tagger or classifier saved by <c>acclimate finetune</c>, or an encoder (embeddings).</param>
/// <param name="Host">Address to bind: 127.0.0.1 (loopback only) unless the caller means otherwise, e.g. 0.0.0.0.</param>
/// <param name="Port">TCP port; 0 picks a free one (see <see cref="ModelServer.Address"/>).</param>
public sealed record ServeOptions(string Model, string Host = "127.0.0.1", int Port = 8080)
{
    /// <summary>Largest request body in bytes (answer: 413, limit <c>max_body_bytes</c>).</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Most texts in one request (answer: 413, limit <c>max_texts</c>).</summary>
    public int MaxTexts { get; init; } = 64;

    /// <summary>Longest text in UTF-16 characters (answer: 413, limit <c>max_text_chars</c>).</summary>
    public int MaxTextChars { get; init; } = 10_000;

    /// <summary>Most texts the worker runs through the model in one forward.</summary>
    public int MaxBatchTexts { get; init; } = 32;

    /// <summary>How long the worker waits, after the first queued request, for more to join its batch.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Threads of the model's forward pass: libtorch's on the worker thread, or the ONNX Runtime session's intra-op threads.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Device of the model ("cpu", "cuda", "auto").</summary>
    public string? Device { get; init; }

    /// <summary>Inference engine: auto (default: ONNX Runtime fp32 when it matches libtorch on the parity probes, else libtorch), torch, onnx, onnx-int8.</summary>
    public InferenceBackend Backend { get; init; } = InferenceBackend.Auto;

    /// <summary>Where exported ONNX graphs are cached; null = <c>$ACCLIMATE_CACHE</c> or <c>~/.cache/acclimate</c>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>How long a shutdown (SIGTERM, Ctrl-C) waits for requests in flight.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws a <see cref="ConfigException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ConfigException("serve: --model is required.");
        if (!Directory.Exists(Model)) throw new ConfigException($"serve: --model {Model}: folder not found.");
        if (Port is < 0 or > 65535) throw new ConfigException($"serve: --port {Port}: expected 0..65535.");
        if (string.IsNullOrWhiteSpace(Host)) throw new ConfigException("serve: --host must name an address, e.g. 127.0.0.1.");
        if (MaxBodyBytes < 1) throw new ConfigException($"serve: max body bytes {MaxBodyBytes}: expected at least 1.");
        if (MaxTexts < 1) throw new ConfigException($"serve: --max-texts {MaxTexts}: expected at least 1.");
        if (MaxTextChars < 1) throw new ConfigException($"serve: --max-text-chars {MaxTextChars}: expected at least 1.");
        if (MaxBatchTexts < 1) throw new ConfigException($"serve: --max-batch {MaxBatchTexts}: expected at least 1.");
        if (BatchWindow < TimeSpan.Zero) throw new ConfigException($"serve: batch window {BatchWindow}: expected zero or more.");
        if (Threads < 1) throw new ConfigException($"serve: --threads {Threads}: expected at least 1.");
    }
}
