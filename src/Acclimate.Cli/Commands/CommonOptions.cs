using System.CommandLine;

namespace Acclimate.Cli.Commands;

/// <summary>Options several verbs share, defined once so they read the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = "cpu, cuda, cuda:N, or auto (cuda when present).",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>--backend of the inference verbs (embed, serve).</summary>
    public static Option<string> Backend() => new("--backend")
    {
        Description = "auto (default: ONNX Runtime on the float32 ONNX export when it matches libtorch on probe texts, else libtorch; the reason is printed), torch, onnx, or onnx-int8 (faster, changes results).",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>--onnx-cache of the inference verbs.</summary>
    public static Option<string?> OnnxCache() => new("--onnx-cache")
    {
        Description = "Folder for exported ONNX graphs (default: $ACCLIMATE_CACHE or ~/.cache/acclimate, under onnx/).",
    };

    /// <summary>
    /// --device for the training verbs: no default, so the recipe's training.device stands unless
    /// the flag is given; when given it becomes the override training.device=NAME.
    /// </summary>
    public static Option<string?> TrainingDevice() => new("--device")
    {
        Description = "Train on cpu, cuda, cuda:N, or auto (cuda when present); sets training.device (default: the recipe's, auto).",
    };

    /// <summary>The override that <see cref="TrainingDevice"/> stands for, or nothing when the flag is absent.</summary>
    public static IEnumerable<string> DeviceOverride(string? device) =>
        string.IsNullOrWhiteSpace(device) ? Array.Empty<string>() : new[] { "training.device=" + device.Trim() };
}
