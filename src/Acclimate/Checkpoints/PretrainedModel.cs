using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using Acclimate.IO;

namespace Acclimate.Checkpoints;

/// <summary>
/// Loads and saves HuggingFace model folders (config.json + model.safetensors, or a sharded
/// model.safetensors.index.json; pytorch_model.bin or its sharded index when no safetensors is present), the way <c>from_pretrained</c> / <c>save_pretrained</c> do.
/// </summary>
public static class PretrainedModel
{
    /// <summary>The config file of an HF model folder.</summary>
    public const string ConfigFileName = "config.json";
    /// <summary>The weights file of an unsharded HF model folder.</summary>
    public const string WeightsFileName = "model.safetensors";
    /// <summary>The index of a sharded HF model folder (tensor name → shard file).</summary>
    public const string ShardIndexFileName = "model.safetensors.index.json";
    /// <summary>
    /// The PyTorch weights file of an unsharded HF folder, read only when no safetensors weights are
    /// present, through an allow-list unpickler that executes nothing.
    /// </summary>
    public const string PytorchWeightsFileName = "pytorch_model.bin";
    /// <summary>The index of a sharded PyTorch HF folder (tensor name → <c>.bin</c> shard).</summary>
    public const string PytorchShardIndexFileName = "pytorch_model.bin.index.json";

    /// <summary>
    /// Loads <paramref name="folder"/> into a model for <paramref name="task"/> (default: the config's
    /// architecture). Tensors the file lacks (a new head) keep HF's fresh initialization and are
    /// listed in the report; tensors the model does not use are listed too; a shape mismatch fails,
    /// naming the tensor and both shapes. <paramref name="labels"/> sets the label set of a new
    /// classification head.
    /// </summary>
    public static (TransformerModel Model, LoadReport Report) Load(string folder, ModelTask? task = null, IReadOnlyList<string>? labels = null)
    {
        TorchRuntime.EnsureInitialized();
        if (!Directory.Exists(folder))
            throw new CheckpointException($"{folder}: model folder not found.");
        var config = EncoderConfig.Load(Path.Combine(folder, ConfigFileName));
        if (labels is not null) config = config.WithLabels(labels);
        var model = ModelFactory.Create(config, task);
        try
        {
            var report = LoadWeights(model, folder);
            return (model, report);
        }
        catch
        {
            model.Dispose();   // freed now, not by a finalizer while the next model trains
            throw;
        }
    }

    /// <summary>Loads a folder's weights into an existing model (same rules as <see cref="Load"/>).</summary>
    public static LoadReport LoadWeights(TransformerModel model, string folder)
    {
        using var weights = CheckpointWeights.Open(folder);
        var modelState = model.CheckpointState();
        var fileKeys = AlignPrefix(model, weights.Keys, modelState.Keys);

        var loaded = new List<string>();
        var missing = new List<string>();
        using (no_grad())
        {
            foreach (var (key, target) in modelState.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!fileKeys.TryGetValue(key, out var fileKey)) { missing.Add(key); continue; }
                var fileShape = weights.Shape(fileKey);
                if (!fileShape.SequenceEqual(target.shape))
                    throw new CheckpointException(
                        $"{weights.SourceOf(fileKey)}: tensor '{fileKey}' has shape [{string.Join(", ", fileShape)}] but the model " +
                        $"(config {model.Config.SourcePath ?? "in code"}) expects [{string.Join(", ", target.shape)}].");
                using var value = weights.Read(fileKey);
                using var converted = value.to(target.dtype, target.device);
                target.copy_(converted);
                loaded.Add(key);
            }
        }
        var used = new HashSet<string>(loaded.Select(k => fileKeys[k]), StringComparer.Ordinal);
        var ignored = new List<string>();
        var unexpected = new List<string>();
        foreach (var fileKey in weights.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (used.Contains(fileKey)) continue;
            var modelKey = fileKeys.FirstOrDefault(kv => kv.Value == fileKey).Key ?? fileKey;
            if (model.TiedAliases.ContainsKey(modelKey) || IsNonParameterBuffer(fileKey)) ignored.Add(fileKey);
            else unexpected.Add(fileKey);
        }
        return new LoadReport(folder, model.ArchitectureName, loaded, missing, unexpected, ignored);
    }

    /// <summary>
    /// Writes <paramref name="model"/> as a HF folder: config.json (with this head's architecture),
    /// model.safetensors (format "pt", tied aliases written where HF writes them), and, when given,
    /// the tokenizer's files. Each file is written atomically.
    /// </summary>
    public static void Save(TransformerModel model, string folder, Action<string>? saveTokenizer = null)
    {
        Directory.CreateDirectory(folder);
        var state = model.CheckpointState();
        var tensors = new Dictionary<string, Tensor>(state, StringComparer.Ordinal);
        if (model.WritesTiedAliases)
            foreach (var (alias, canonical) in model.TiedAliases)
                tensors[alias] = state[canonical];
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var config = model.Config.WithArchitecture(model.ArchitectureName).ToJson().AsObject();
        config["torch_dtype"] = "float32";
        config["model_type"] = model.BackboneName;
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFileName),
            config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        saveTokenizer?.Invoke(folder);
    }

    // HF keeps position_ids/token_type_ids as buffers that some versions saved; they carry no learned values.
    private static bool IsNonParameterBuffer(string key) =>
        key.EndsWith(".position_ids", StringComparison.Ordinal) || key.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal);

    /// <summary>
    /// Maps model keys to file keys, adding or removing the backbone prefix as HF does when a bare
    /// encoder checkpoint is loaded into a head model or the other way round.
    /// </summary>
    private static Dictionary<string, string> AlignPrefix(TransformerModel model, IReadOnlyCollection<string> fileKeys, IEnumerable<string> modelKeys)
    {
        var prefix = model.BackboneName + ".";
        var fileHasPrefix = fileKeys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        var fileSet = new HashSet<string>(fileKeys, StringComparer.Ordinal);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in modelKeys)
        {
            string candidate = key;
            if (model.CheckpointKeysHavePrefix && !fileHasPrefix && key.StartsWith(prefix, StringComparison.Ordinal))
                candidate = key[prefix.Length..];          // bare encoder checkpoint → head model
            else if (!model.CheckpointKeysHavePrefix && fileHasPrefix)
                candidate = prefix + key;                   // head checkpoint → bare encoder
            if (fileSet.Contains(candidate)) map[key] = candidate;
        }
        foreach (var alias in model.TiedAliases.Keys)
            if (fileSet.Contains(alias)) map.TryAdd(alias, alias);
        return map;
    }
}
