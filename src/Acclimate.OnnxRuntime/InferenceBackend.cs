using Acclimate.Errors;

namespace Acclimate.OnnxRuntime;

/// <summary>Which engine runs a saved model at inference time.</summary>
public enum InferenceBackend
{
    /// <summary>ONNX Runtime on the float32 export when the model exports and its outputs match libtorch's on probe inputs (within <see cref="InferenceOptions.Tolerance"/>); else libtorch, with the reason logged.</summary>
    Auto,

    /// <summary>The library on libtorch (what <c>predict</c>, <c>embed</c> and <c>serve</c> always ran before).</summary>
    Torch,

    /// <summary>ONNX Runtime on the float32 export; an unexportable model or a failed parity check is an error, not a fallback.</summary>
    Onnx,

    /// <summary>ONNX Runtime on the dynamic-int8 export (<c>--quantize int8</c>): faster, but its outputs differ from libtorch's (not parity-checked), so only when asked for.</summary>
    OnnxInt8,
}

/// <summary>Names of <see cref="InferenceBackend"/> on the command line: <c>auto</c>, <c>torch</c>, <c>onnx</c>, <c>onnx-int8</c>.</summary>
public static class InferenceBackends
{
    /// <summary>The backend named <paramref name="name"/> (null or empty = <see cref="InferenceBackend.Auto"/>).</summary>
    /// <exception cref="ConfigException">An unknown name.</exception>
    public static InferenceBackend Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => InferenceBackend.Auto,
        "torch" or "libtorch" => InferenceBackend.Torch,
        "onnx" or "onnx-fp32" => InferenceBackend.Onnx,
        "onnx-int8" => InferenceBackend.OnnxInt8,
        _ => throw new ConfigException($"--backend '{name}': expected auto, torch, onnx or onnx-int8."),
    };

    /// <summary>The command-line name of <paramref name="backend"/>.</summary>
    public static string Name(InferenceBackend backend) => backend switch
    {
        InferenceBackend.Auto => "auto",
        InferenceBackend.Torch => "torch",
        InferenceBackend.Onnx => "onnx",
        InferenceBackend.OnnxInt8 => "onnx-int8",
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, null),
    };
}

/// <summary>How a model is opened for inference.</summary>
/// <param name="Backend">The engine to use (default <see cref="InferenceBackend.Auto"/>).</param>
/// <param name="CacheDirectory">Where exported graphs are kept (a folder per model fingerprint under <c>onnx/</c>); null = <c>$ACCLIMATE_CACHE</c> or <c>~/.cache/acclimate</c>.</param>
/// <param name="Threads">Intra-op threads of the ONNX Runtime session; null = ONNX Runtime's default (the physical cores). libtorch's threads are the caller's setting.</param>
/// <param name="Device">The libtorch device ("cpu", "cuda", "auto"); ONNX Runtime runs on the CPU only, so a non-CPU device keeps <see cref="InferenceBackend.Auto"/> on libtorch.</param>
/// <param name="Tolerance">Largest |ONNX Runtime − libtorch| allowed on the parity probes (embedding values, class probabilities, entity confidences).</param>
public sealed record InferenceOptions(InferenceBackend Backend = InferenceBackend.Auto, string? CacheDirectory = null, int? Threads = null, string? Device = null, double Tolerance = 1e-4)
{
    /// <summary>Throws a <see cref="ConfigException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Threads is < 1) throw new ConfigException($"inference threads {Threads}: expected at least 1.");
        if (!(Tolerance > 0) || double.IsInfinity(Tolerance)) throw new ConfigException($"parity tolerance {Tolerance}: expected a positive number.");
    }
}

/// <summary>What runs a model and why.</summary>
/// <param name="Backend">The engine actually running: <c>torch</c>, <c>onnx</c> or <c>onnx-int8</c>.</param>
/// <param name="Requested">The backend that was asked for (<c>auto</c>, <c>torch</c>, <c>onnx</c>, <c>onnx-int8</c>).</param>
/// <param name="Reason">Why: the parity result, the cause of a fallback to libtorch, or "requested".</param>
/// <param name="OnnxPath">The ONNX file in use (ONNX Runtime backends), else null.</param>
public sealed record BackendChoice(string Backend, string Requested, string Reason, string? OnnxPath = null)
{
    /// <summary>One line for logs: "backend onnx (requested auto): parity held …".</summary>
    public override string ToString() => $"backend {Backend} (requested {Requested}): {Reason}";
}
