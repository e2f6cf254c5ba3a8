using Acclimate.Errors;

namespace Acclimate.Checkpoints;

/// <summary>Builds checkpoint errors in one shape: file, then tensor (when there is one), then what is wrong.</summary>
internal static class SafetensorsErrors
{
    public static CheckpointException InFile(string path, string detail) =>
        new($"Safetensors file '{path}': {detail}");

    public static CheckpointException InTensor(string path, string tensor, string detail) =>
        new($"Safetensors file '{path}', tensor '{tensor}': {detail}");

    public static CheckpointException InFile(string path, string detail, Exception inner) =>
        new($"Safetensors file '{path}': {detail}", inner);
}
