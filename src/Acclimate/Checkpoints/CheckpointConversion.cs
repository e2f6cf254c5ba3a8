using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Checkpoints;

/// <summary>What <see cref="CheckpointConversion.ToSafetensors"/> wrote.</summary>
/// <param name="WeightsPath">The model.safetensors written.</param>
/// <param name="TensorCount">Tensors written (every tensor of the source, tied copies included).</param>
/// <param name="CopiedFiles">Other files (config, tokenizer) copied to the output folder; empty when converting in place.</param>
public sealed record ConversionResult(string WeightsPath, int TensorCount, IReadOnlyList<string> CopiedFiles);

/// <summary>Converts a HF folder whose weights are PyTorch <c>.bin</c> pickles into a safetensors folder.</summary>
public static class CheckpointConversion
{
    private static readonly string[] WeightExtensions = { ".bin", ".safetensors", ".h5", ".msgpack", ".pt", ".pth", ".ckpt" };

    /// <summary>
    /// Reads <paramref name="folder"/>'s pytorch_model.bin (or its shards) with the restricted
    /// unpickler and writes every tensor, in its stored dtype, to one model.safetensors (atomically)
    /// in <paramref name="output"/>; without an output folder (or with the same folder) it is written
    /// beside the .bin, where it then takes precedence. Into a different output folder the other files
    /// (config.json, tokenizer files) are copied too; weight files and shard indexes are not.
    /// Throws <see cref="CheckpointException"/> when the folder has no .bin weights, already has
    /// safetensors weights, or a .bin is refused.
    /// </summary>
    public static ConversionResult ToSafetensors(string folder, string? output = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        TorchRuntime.EnsureInitialized();
        if (!Directory.Exists(folder)) throw new CheckpointException($"{folder}: model folder not found.");
        var source = Path.GetFullPath(folder);
        var target = Path.GetFullPath(string.IsNullOrEmpty(output) ? folder : output);
        var inPlace = string.Equals(Path.TrimEndingDirectorySeparator(source), Path.TrimEndingDirectorySeparator(target), StringComparison.Ordinal);

        using var weights = CheckpointWeights.Open(source);
        if (!weights.IsPytorchBin)
            throw new CheckpointException($"{source}: the weights are already safetensors ({PretrainedModel.WeightsFileName} or " +
                                          $"{PretrainedModel.ShardIndexFileName}); expected a folder with {PretrainedModel.PytorchWeightsFileName} " +
                                          $"or {PretrainedModel.PytorchShardIndexFileName} only.");
        Directory.CreateDirectory(target);
        var weightsPath = Path.Combine(target, PretrainedModel.WeightsFileName);
        using (var scope = NewDisposeScope())
        {
            var tensors = weights.Keys.OrderBy(k => k, StringComparer.Ordinal)
                .Select(k => new KeyValuePair<string, Tensor>(k, weights.Read(k))).ToList();
            SafetensorsWriter.Write(weightsPath, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }

        var copied = new List<string>();
        if (!inPlace)
        {
            foreach (var file in Directory.EnumerateFiles(source).OrderBy(f => f, StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (WeightExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)) || name.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase))
                    continue;
                AtomicFile.Copy(file, Path.Combine(target, name));
                copied.Add(name);
            }
        }
        return new ConversionResult(weightsPath, weights.Keys.Count, copied);
    }
}
