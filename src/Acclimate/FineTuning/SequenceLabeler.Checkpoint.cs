using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using static TorchSharp.torch;
using Acclimate.IO;

namespace Acclimate.FineTuning;

// Loading and saving: encoder folders in, labeler folders in and out.
public sealed partial class SequenceLabeler
{
    /// <summary>
    /// A labeler whose encoder comes from the HF folder <paramref name="encoderFolder"/> (a bare
    /// encoder, an MLM/DAPT checkpoint or any head model of the same architecture) and whose head is
    /// new. The report lists the new head's keys as missing, as HF does for a new classifier.
    /// </summary>
    public static (SequenceLabeler Labeler, LoadReport Report) FromPretrained(string encoderFolder, SequenceLabelerOptions options)
    {
        TorchRuntime.EnsureInitialized();
        if (!Directory.Exists(encoderFolder)) throw new CheckpointException($"{encoderFolder}: model folder not found.");
        var config = EncoderConfig.Load(Path.Combine(encoderFolder, PretrainedModel.ConfigFileName));
        var labeler = Create(config, options);
        try
        {
            return (labeler, PretrainedModel.LoadWeights(labeler, encoderFolder));
        }
        catch
        {
            labeler.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the labeler to <paramref name="folder"/> (see remarks on the class), replacing any
    /// previous folder as a whole: everything is written to a sibling temporary folder, which is
    /// then renamed into place. <paramref name="saveTokenizer"/> may add the tokenizer's files to
    /// the folder being written. Between the two renames that replace an existing folder, a crash
    /// leaves the old and the new content side by side under their temporary names.
    /// </summary>
    public void Save(string folder, Action<string>? saveTokenizer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(target)) throw new CheckpointException($"{target}: is a file; expected a folder (or nothing) to save the labeler into.");
        if (Path.GetDirectoryName(target) is null) throw new CheckpointException($"{target}: cannot save into a file-system root.");
        AtomicFolder.Write(target, temp => WriteInto(temp, saveTokenizer));
    }

    /// <summary>
    /// Writes the labeler's files (see the class remarks) into the existing folder
    /// <paramref name="folder"/>, each file atomically; for callers that already write into a
    /// temporary folder of their own (checkpoints, best-model folders).
    /// </summary>
    public void WriteInto(string folder, Action<string>? saveTokenizer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new CheckpointException($"{folder}: folder not found; WriteInto writes into an existing folder.");
        var encoderPrefix = BackboneName + ".";
        var encoderState = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var headState = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in state_dict())
        {
            if (Models.Lora.LoraModel.IsAdapterKey(name)) continue;   // saved as an adapter or merged (Models/Lora)
            if (name.StartsWith(HeadPrefix, StringComparison.Ordinal)) headState[name] = value;
            else if (name.StartsWith(encoderPrefix, StringComparison.Ordinal)) encoderState[name[encoderPrefix.Length..]] = value;
            else throw new InvalidOperationException($"state-dict key '{name}' belongs to neither the encoder nor the head.");
        }
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        SafetensorsWriter.Write(Path.Combine(folder, PretrainedModel.WeightsFileName), encoderState, metadata);
        SafetensorsWriter.Write(Path.Combine(folder, HeadWeightsFileName), headState, metadata);

        // The encoder folder is a bare HF base model (BertModel …): keys without prefix, as HF saves it.
        var config = Config.WithArchitecture(Architectures.Name(Config.ModelType, ModelTask.Base)).ToJson().AsObject();
        config["torch_dtype"] = "float32";
        config["model_type"] = BackboneName;
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(folder, PretrainedModel.ConfigFileName), config.ToJsonString(indented) + "\n");
        AtomicFile.WriteAllText(Path.Combine(folder, HeadConfigFileName), Options.ToJson().ToJsonString(indented) + "\n");
        saveTokenizer?.Invoke(folder);
    }

    /// <summary>
    /// Loads a folder written by <see cref="Save"/>. Every encoder and head tensor must be present
    /// with the expected shape, and no other tensor may be; anything else is a <see cref="CheckpointException"/>.
    /// </summary>
    public static SequenceLabeler Load(string folder)
    {
        TorchRuntime.EnsureInitialized();
        if (!Directory.Exists(folder)) throw new CheckpointException($"{folder}: labeler folder not found.");
        var headConfig = Path.Combine(folder, HeadConfigFileName);
        if (!File.Exists(headConfig))
            throw new CheckpointException($"{folder}: no {HeadConfigFileName}, so this is not a saved sequence labeler (to start from an encoder folder, use FromPretrained).");
        var options = SequenceLabelerOptions.FromJson(File.ReadAllText(headConfig), headConfig);
        var config = EncoderConfig.Load(Path.Combine(folder, PretrainedModel.ConfigFileName));
        var labeler = new SequenceLabeler(config, options);
        try
        {
            var report = PretrainedModel.LoadWeights(labeler, folder);
            var missing = report.MissingKeys.Where(k => !k.StartsWith(HeadPrefix, StringComparison.Ordinal)).ToArray();
            if (missing.Length > 0 || report.UnexpectedKeys.Count > 0)
                throw new CheckpointException($"{folder}: the encoder weights do not match config.json: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", report.UnexpectedKeys)}].");
            labeler.LoadHeadWeights(Path.Combine(folder, HeadWeightsFileName));
            return labeler;
        }
        catch
        {
            labeler.Dispose();
            throw;
        }
    }

    private void LoadHeadWeights(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var expected = state_dict().Where(kv => kv.Key.StartsWith(HeadPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var missing = expected.Keys.Where(k => !file.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var unexpected = file.Tensors.Keys.Where(k => !expected.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        if (missing.Length > 0 || unexpected.Length > 0)
            throw new CheckpointException($"{path}: head tensors do not match {HeadConfigFileName}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        using var _ = no_grad();
        foreach (var (key, target) in expected)
        {
            var shape = file.Tensors[key].Shape;
            if (!shape.SequenceEqual(target.shape))
                throw new CheckpointException($"{path}: tensor '{key}' has shape [{string.Join(", ", shape)}] but the head ({HeadConfigFileName}) expects [{string.Join(", ", target.shape)}].");
            using var value = file.ReadTensor(key, target.dtype);
            target.copy_(value);
        }
    }

}
