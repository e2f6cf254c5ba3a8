using System.Text.Json;
using Acclimate.Checkpoints.PytorchBin;
using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Checkpoints;

/// <summary>
/// The weights of a HF folder seen as one key → tensor map: model.safetensors, the shards named by
/// model.safetensors.index.json, or — when no safetensors is present — pytorch_model.bin or the
/// shards named by pytorch_model.bin.index.json (read by the restricted unpickler, nothing executed).
/// </summary>
internal sealed class CheckpointWeights : IDisposable
{
    private readonly List<IDisposable> _files = new();
    private readonly Dictionary<string, Source> _byKey = new(StringComparer.Ordinal);

    private sealed record Source(string Path, Func<string, long[]> Shape, Func<string, Tensor> Read);

    private CheckpointWeights() { }

    public IReadOnlyCollection<string> Keys => _byKey.Keys;

    /// <summary>True when the folder's weights are PyTorch pickles (no safetensors file was present).</summary>
    public bool IsPytorchBin { get; private set; }

    public static CheckpointWeights Open(string folder)
    {
        var weights = new CheckpointWeights();
        try
        {
            var single = Path.Combine(folder, PretrainedModel.WeightsFileName);
            var index = Path.Combine(folder, PretrainedModel.ShardIndexFileName);
            var bin = Path.Combine(folder, PretrainedModel.PytorchWeightsFileName);
            var binIndex = Path.Combine(folder, PretrainedModel.PytorchShardIndexFileName);
            if (File.Exists(single)) weights.Add(SafetensorsFile.Open(single));
            else if (File.Exists(index)) foreach (var shard in ReadShardNames(index)) weights.Add(SafetensorsFile.Open(Path.Combine(folder, shard)));
            else if (File.Exists(bin)) weights.Add(PytorchBinFile.Open(bin));
            else if (File.Exists(binIndex)) foreach (var shard in ReadShardNames(binIndex)) weights.Add(PytorchBinFile.Open(Path.Combine(folder, shard)));
            else throw new CheckpointException($"{folder}: no weights found (expected {PretrainedModel.WeightsFileName}, {PretrainedModel.ShardIndexFileName}, " +
                                              $"{PretrainedModel.PytorchWeightsFileName} or {PretrainedModel.PytorchShardIndexFileName}).");
            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public long[] Shape(string key) => _byKey[key].Shape(key);

    public string SourceOf(string key) => _byKey[key].Path;

    public Tensor Read(string key) => _byKey[key].Read(key);

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }

    private void Add(SafetensorsFile file)
    {
        _files.Add(file);
        var source = new Source(file.Path, k => file.Tensors[k].Shape, file.ReadTensor);
        foreach (var key in file.Tensors.Keys) AddKey(key, source);
    }

    private void Add(PytorchBinFile file)
    {
        _files.Add(file);
        IsPytorchBin = true;
        var source = new Source(file.Path, file.Shape, file.ReadTensor);
        foreach (var key in file.Keys) AddKey(key, source);
    }

    private void AddKey(string key, Source source)
    {
        if (_byKey.TryGetValue(key, out var other))
            throw new CheckpointException($"tensor '{key}' is stored twice: in {other.Path} and in {source.Path}.");
        _byKey[key] = source;
    }

    private static IEnumerable<string> ReadShardNames(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{indexPath}: expected an object field 'weight_map'.");
            var names = map.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "").Distinct().ToArray();
            foreach (var name in names)
                if (name.Length == 0 || Path.GetFileName(name) != name || name is "." or "..")
                    throw new CheckpointException($"{indexPath}: weight_map names the shard '{name}'; expected a file name in the same folder.");
            return names;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{indexPath}: not valid JSON ({e.Message}).", e);
        }
    }
}
