using System.Text.Json;
using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Checkpoints;

/// <summary>
/// The weights of a HF folder: one model.safetensors or the shards named by
/// model.safetensors.index.json, seen as one key → tensor map.
/// </summary>
internal sealed class CheckpointWeights : IDisposable
{
    private readonly List<SafetensorsFile> _files = new();
    private readonly Dictionary<string, SafetensorsFile> _byKey = new(StringComparer.Ordinal);

    private CheckpointWeights() { }

    public IReadOnlyCollection<string> Keys => _byKey.Keys;

    public static CheckpointWeights Open(string folder)
    {
        var weights = new CheckpointWeights();
        try
        {
            var single = Path.Combine(folder, PretrainedModel.WeightsFileName);
            var index = Path.Combine(folder, PretrainedModel.ShardIndexFileName);
            if (File.Exists(single)) weights.Add(SafetensorsFile.Open(single));
            else if (File.Exists(index)) foreach (var shard in ReadShardNames(index)) weights.Add(SafetensorsFile.Open(Path.Combine(folder, shard)));
            else if (File.Exists(Path.Combine(folder, "pytorch_model.bin")))
                throw new CheckpointException($"{folder}: only pytorch_model.bin is present; Acclimate reads safetensors. Convert it once with HF " +
                                              "(model.save_pretrained(dir, safe_serialization=True)).");
            else throw new CheckpointException($"{folder}: no weights found (expected {PretrainedModel.WeightsFileName} or {PretrainedModel.ShardIndexFileName}).");
            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public long[] Shape(string key) => _byKey[key].Tensors[key].Shape;

    public string SourceOf(string key) => _byKey[key].Path;

    public Tensor Read(string key) => _byKey[key].ReadTensor(key);

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }

    private void Add(SafetensorsFile file)
    {
        _files.Add(file);
        foreach (var key in file.Tensors.Keys)
        {
            if (_byKey.TryGetValue(key, out var other))
                throw new CheckpointException($"tensor '{key}' is stored twice: in {other.Path} and in {file.Path}.");
            _byKey[key] = file;
        }
    }

    private static IEnumerable<string> ReadShardNames(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{indexPath}: expected an object field 'weight_map'.");
            return map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct().ToArray();
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{indexPath}: not valid JSON ({e.Message}).", e);
        }
    }
}
