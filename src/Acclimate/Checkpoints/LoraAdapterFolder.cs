using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.Models;
using Acclimate.Models.Lora;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Checkpoints;

/// <summary>
/// LoRA adapters as PEFT reads them: <c>adapter_config.json</c> (peft_type LORA, r, lora_alpha,
/// lora_dropout, target_modules, bias, modules_to_save, base_model_name_or_path, fan_in_fan_out,
/// task_type, plus the base fingerprint under <see cref="LoraModel.FingerprintKey"/>) and
/// <c>adapter_model.safetensors</c> with PEFT's key names (<c>base_model.model.&lt;module&gt;.lora_A.weight</c>,
/// <c>…lora_B.weight</c>, and the other trained tensors as <c>base_model.model.&lt;key&gt;</c>); and the
/// merge of such an adapter into its base folder.
/// </summary>
public static class LoraAdapterFolder
{
    /// <summary>PEFT's adapter config file.</summary>
    public const string ConfigFileName = "adapter_config.json";
    /// <summary>PEFT's adapter weights file.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";
    /// <summary>The subfolder of a LoRA run's checkpoint (or of a model folder saved with <c>both</c>) that holds its adapter.</summary>
    public const string CheckpointSubfolder = "adapter";
    /// <summary>The prefix PEFT puts before a module path in the adapter's keys.</summary>
    public const string KeyPrefix = "base_model.model.";

    /// <summary>
    /// Writes the adapter of <paramref name="lora"/> into the existing folder <paramref name="folder"/>
    /// (each file atomically). <paramref name="baseModelNameOrPath"/> is what the run started from.
    /// </summary>
    public static void Save(LoraModel lora, string folder, string? baseModelNameOrPath)
    {
        ArgumentNullException.ThrowIfNull(lora);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var target in lora.Targets)
        {
            tensors.Add(new(KeyPrefix + target.Key + ".lora_A.weight", target.A));
            tensors.Add(new(KeyPrefix + target.Key + ".lora_B.weight", target.B));
        }
        var others = lora.OtherTrainable();
        foreach (var (key, parameter) in others) tensors.Add(new(KeyPrefix + key, parameter));
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var backbone = lora.Model.BackboneName + ".";
        var modulesToSave = others.Select(o => o.Key)
            .Where(k => !k.StartsWith(backbone, StringComparison.Ordinal) && (lora.Model.CheckpointKeysHavePrefix || !IsEncoderKey(k)))
            .Select(k => k.Split('.')[0]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = TaskType(lora.Model.Task),
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["r"] = lora.Spec.Rank,
            ["lora_alpha"] = lora.Spec.Alpha,
            ["lora_dropout"] = lora.Spec.Dropout,
            ["target_modules"] = new JsonArray(lora.Targets.Select(t => (JsonNode?)JsonValue.Create(t.Key)).ToArray()),
            ["bias"] = lora.Spec.TrainBiases switch { LoraBias.All => "all", LoraBias.LoraOnly => "lora_only", _ => "none" },
            ["modules_to_save"] = modulesToSave.Count == 0 ? null : new JsonArray(modulesToSave.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["use_rslora"] = false,
            ["use_dora"] = false,
            [LoraModel.FingerprintKey] = lora.BaseFingerprint(),
            ["acclimate_trained_tensors"] = new JsonArray(others.Select(o => (JsonNode?)JsonValue.Create(o.Key)).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFileName), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    // A bare encoder's keys have no backbone prefix: embeddings.*, encoder.*, pooler.*.
    private static bool IsEncoderKey(string key) =>
        key.StartsWith("embeddings.", StringComparison.Ordinal) || key.StartsWith("encoder.", StringComparison.Ordinal) || key.StartsWith("pooler.", StringComparison.Ordinal);

    private static string? TaskType(ModelTask task) => task switch
    {
        ModelTask.TokenClassification => "TOKEN_CLS",
        ModelTask.SequenceClassification => "SEQ_CLS",
        ModelTask.Base => "FEATURE_EXTRACTION",
        _ => null,   // PEFT has no masked-LM task type; a PeftModel without one wraps the model as it is.
    };

    /// <summary>An adapter folder as read back: its config values and file paths.</summary>
    /// <param name="Folder">The folder.</param>
    /// <param name="Rank">r.</param>
    /// <param name="Alpha">lora_alpha.</param>
    /// <param name="TargetModules">target_modules (module paths).</param>
    /// <param name="Fingerprint">The base fingerprint, or null for an adapter without one.</param>
    public sealed record Adapter(string Folder, int Rank, double Alpha, IReadOnlyList<string> TargetModules, string? Fingerprint)
    {
        /// <summary>α / r.</summary>
        public double Scale => Alpha / Rank;
    }

    /// <summary>Reads and checks <paramref name="folder"/>'s adapter_config.json.</summary>
    public static Adapter Read(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var path = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(path)) throw new CheckpointException($"{folder}: no {ConfigFileName}; not a LoRA adapter folder.");
        if (!File.Exists(Path.Combine(folder, WeightsFileName))) throw new CheckpointException($"{folder}: no {WeightsFileName} beside {ConfigFileName}.");
        JsonObject config;
        try { config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointException($"{path}: expected a JSON object."); }
        catch (JsonException e) { throw new CheckpointException($"{path}: not valid JSON ({e.Message}).", e); }
        if (config["peft_type"]?.GetValue<string>() is not "LORA")
            throw new CheckpointException($"{path}: peft_type is '{config["peft_type"]}', expected LORA.");
        if (config["fan_in_fan_out"]?.GetValue<bool>() == true)
            throw new CheckpointException($"{path}: fan_in_fan_out true (Conv1D-style weights) is not supported; BERT-family Linear layers store [out, in].");
        if (config["use_dora"]?.GetValue<bool>() == true || config["use_rslora"]?.GetValue<bool>() == true)
            throw new CheckpointException($"{path}: DoRA / rsLoRA adapters are not supported (plain LoRA: scale lora_alpha / r).");
        int rank;
        double alpha;
        try
        {
            rank = config["r"]?.GetValue<int>() ?? throw new CheckpointException($"{path}: 'r' is missing.");
            alpha = config["lora_alpha"]?.GetValue<double>() ?? throw new CheckpointException($"{path}: 'lora_alpha' is missing.");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{path}: 'r' must be an integer and 'lora_alpha' a number ({e.Message}).", e);
        }
        if (rank <= 0) throw new CheckpointException($"{path}: r {rank}; expected >= 1.");
        if (!(alpha > 0)) throw new CheckpointException($"{path}: lora_alpha {alpha.ToString(CultureInfo.InvariantCulture)}; expected > 0.");
        var targets = config["target_modules"] is JsonArray list
            ? list.Select(n => n?.GetValue<string>() ?? throw new CheckpointException($"{path}: target_modules holds a null.")).ToList()
            : throw new CheckpointException($"{path}: target_modules must be a list of module paths (Acclimate writes full paths).");
        return new Adapter(folder, rank, alpha, targets, config[LoraModel.FingerprintKey]?.GetValue<string>());
    }

    /// <summary>
    /// Restores a saved adapter into <paramref name="lora"/> (resume): every A and B, and the other
    /// trained tensors it holds. Fails, changing nothing, when the adapter was trained on another base
    /// (fingerprint), targets other layers, or a tensor is missing or shaped otherwise.
    /// </summary>
    public static void LoadInto(LoraModel lora, string folder)
    {
        ArgumentNullException.ThrowIfNull(lora);
        var adapter = Read(folder);
        var weightsPath = Path.Combine(folder, WeightsFileName);
        if (adapter.Rank != lora.Spec.Rank || adapter.Alpha != lora.Spec.Alpha)
            throw new CheckpointException($"{Path.Combine(folder, ConfigFileName)}: r {adapter.Rank}, lora_alpha {adapter.Alpha} but the run's lora section has rank {lora.Spec.Rank}, alpha {lora.Spec.Alpha}.");
        if (!adapter.TargetModules.SequenceEqual(lora.TargetKeys, StringComparer.Ordinal))
            throw new CheckpointException($"{Path.Combine(folder, ConfigFileName)}: target_modules differ from the layers this run adapts ({adapter.TargetModules.Count} vs {lora.Targets.Count} modules).");
        var fingerprint = lora.BaseFingerprint();
        if (adapter.Fingerprint is not null && adapter.Fingerprint != fingerprint)
            throw new CheckpointException($"{Path.Combine(folder, ConfigFileName)}: the adapter was trained on a base with fingerprint {adapter.Fingerprint}, but this model's base weights give {fingerprint}; it belongs to another base model.");
        using var file = SafetensorsFile.Open(weightsPath);
        var pairs = new List<(string Key, Tensor Target)>();
        foreach (var target in lora.Targets)
        {
            pairs.Add((KeyPrefix + target.Key + ".lora_A.weight", target.A));
            pairs.Add((KeyPrefix + target.Key + ".lora_B.weight", target.B));
        }
        foreach (var (key, parameter) in lora.OtherTrainable()) pairs.Add((KeyPrefix + key, parameter));
        foreach (var (key, target) in pairs)
        {
            if (!file.Contains(key)) throw new CheckpointException($"{weightsPath}: tensor '{key}' is missing; the adapter was not saved from this model's LoRA setup.");
            var shape = file.Tensors[key].Shape;
            if (!shape.SequenceEqual(target.shape))
                throw new CheckpointException($"{weightsPath}: tensor '{key}' has shape [{string.Join(", ", shape)}] but the model expects [{string.Join(", ", target.shape)}].");
        }
        using var _ = no_grad();
        foreach (var (key, target) in pairs)
        {
            using var value = file.ReadTensor(key);
            using var converted = value.to(target.dtype, target.device);
            target.copy_(converted);
        }
    }

    /// <summary>
    /// Folds the adapter in <paramref name="adapterFolder"/> into the HF folder <paramref name="baseFolder"/>
    /// and writes the result to <paramref name="outputFolder"/> (atomically: a temporary folder renamed
    /// into place): each target weight becomes W + (lora_alpha / r)·B A, the adapter's other trained
    /// tensors (biases, LayerNorm, head) replace the base's, every other tensor and every other file
    /// (config.json, tokenizer) is the base's. Keys are matched with or without the model-type prefix
    /// (<c>bert.</c>), as HF matches a bare encoder to a head model.
    /// </summary>
    /// <exception cref="CheckpointException">The base is not the one the adapter was trained on (its
    /// fingerprint differs), a target or trained tensor has no counterpart of the right shape in the
    /// base, the adapter is malformed, or the output exists and <paramref name="overwrite"/> is false.
    /// Nothing is written then.</exception>
    public static LoraMergeResult Merge(string baseFolder, string adapterFolder, string outputFolder, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseFolder);
        ArgumentException.ThrowIfNullOrEmpty(adapterFolder);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        if (!Directory.Exists(baseFolder)) throw new CheckpointException($"{baseFolder}: base model folder not found.");
        var adapter = Read(adapterFolder);
        var target = Path.GetFullPath(outputFolder);
        if (File.Exists(target)) throw new CheckpointException($"{target}: the output exists and is a file; expected a new folder.");
        if (Directory.Exists(target) && !overwrite)
            throw new CheckpointException($"{target}: the output folder exists; choose a new folder or overwrite it explicitly (--force).");
        if (Path.GetFullPath(baseFolder) == target || Path.GetFullPath(adapterFolder) == target)
            throw new CheckpointException($"{target}: the output is one of the inputs; write to another folder.");
        if (adapter.Fingerprint is null)
            throw new CheckpointException($"{Path.Combine(adapterFolder, ConfigFileName)}: no {LoraModel.FingerprintKey}; without it the base cannot be checked, so the merge is refused.");

        TorchRuntime.EnsureInitialized();
        var modelType = EncoderConfig.Load(Path.Combine(baseFolder, PretrainedModel.ConfigFileName)).Family.ModelTypeName;
        using var weights = CheckpointWeights.Open(baseFolder);
        var baseKeys = new HashSet<string>(weights.Keys, StringComparer.Ordinal);
        string? Resolve(string key)
        {
            if (baseKeys.Contains(key)) return key;
            var prefix = modelType + ".";
            if (key.StartsWith(prefix, StringComparison.Ordinal) && baseKeys.Contains(key[prefix.Length..])) return key[prefix.Length..];
            return baseKeys.Contains(prefix + key) ? prefix + key : null;
        }

        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(Path.Combine(adapterFolder, WeightsFileName));
        var adapterPath = file.Path;
        var replaced = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var fingerprintInput = new List<(string, Tensor)>();
        foreach (var module in adapter.TargetModules)
        {
            var baseKey = Resolve(module + ".weight")
                ?? throw new CheckpointException($"{baseFolder}: has no tensor '{module}.weight' (nor without/with the '{modelType}.' prefix), which the adapter's target '{module}' adapts; the adapter does not belong to this base.");
            var w = weights.Read(baseKey);
            fingerprintInput.Add((module, w));
        }
        var fingerprint = LoraModel.Fingerprint(fingerprintInput);
        if (fingerprint != adapter.Fingerprint)
            throw new CheckpointException($"{baseFolder}: its target weights give base fingerprint {fingerprint}, but the adapter ({adapterFolder}) was trained on {adapter.Fingerprint}; merging it into another base would give a wrong model, so nothing was written.");
        var loraKeys = new HashSet<string>(StringComparer.Ordinal);
        using (no_grad())
        {
            for (var i = 0; i < adapter.TargetModules.Count; i++)
            {
                var module = adapter.TargetModules[i];
                var w = fingerprintInput[i].Item2;
                var keyA = KeyPrefix + module + ".lora_A.weight";
                var keyB = KeyPrefix + module + ".lora_B.weight";
                foreach (var k in new[] { keyA, keyB })
                    if (!file.Contains(k)) throw new CheckpointException($"{adapterPath}: tensor '{k}' is missing though adapter_config.json targets '{module}'.");
                loraKeys.Add(keyA);
                loraKeys.Add(keyB);
                var a = file.ReadTensor(keyA).to_type(ScalarType.Float32);
                var b = file.ReadTensor(keyB).to_type(ScalarType.Float32);
                if (a.shape.Length != 2 || b.shape.Length != 2 || a.shape[0] != adapter.Rank || b.shape[1] != adapter.Rank || a.shape[1] != w.shape[1] || b.shape[0] != w.shape[0])
                    throw new CheckpointException($"{adapterPath}: '{keyA}' [{string.Join(", ", a.shape)}] and '{keyB}' [{string.Join(", ", b.shape)}] do not fit r {adapter.Rank} and the base weight '{module}.weight' [{string.Join(", ", w.shape)}].");
                var merged = w.to_type(ScalarType.Float32).add(LoraLinear.Delta(b, a, adapter.Scale));
                replaced[Resolve(module + ".weight")!] = merged.to_type(w.dtype);
            }
            foreach (var key in file.Tensors.Keys.Order(StringComparer.Ordinal))
            {
                if (loraKeys.Contains(key)) continue;
                if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal))
                    throw new CheckpointException($"{adapterPath}: tensor '{key}' does not start with '{KeyPrefix}'; not a PEFT adapter key.");
                if (LoraModel.IsAdapterKey(key))
                    throw new CheckpointException($"{adapterPath}: tensor '{key}' is a LoRA tensor of a module adapter_config.json does not list in target_modules.");
                var plain = key[KeyPrefix.Length..];
                var baseKey = Resolve(plain)
                    ?? throw new CheckpointException($"{adapterPath}: trained tensor '{plain}' has no counterpart in {baseFolder} (a head the base lacks?); merge into a base that has it, or use the run's merged model folder.");
                var shape = weights.Shape(baseKey);
                if (!shape.SequenceEqual(file.Tensors[key].Shape))
                    throw new CheckpointException($"{adapterPath}: tensor '{plain}' has shape [{string.Join(", ", file.Tensors[key].Shape)}] but the base's '{baseKey}' has [{string.Join(", ", shape)}].");
                using var stored = weights.Read(baseKey);
                replaced[baseKey] = file.ReadTensor(key).to_type(stored.dtype);
            }
        }

        var count = 0;
        AtomicFolder.Write(target, temp =>
        {
            foreach (var source in Directory.EnumerateFiles(baseFolder))
            {
                var name = Path.GetFileName(source);
                if (IsWeightFile(name) || name.StartsWith('.')) continue;
                File.Copy(source, Path.Combine(temp, name));
            }
            using var inner = NewDisposeScope();
            var tensors = new List<KeyValuePair<string, Tensor>>();
            foreach (var key in weights.Keys.Order(StringComparer.Ordinal))
                tensors.Add(new(key, replaced.TryGetValue(key, out var value) ? value : weights.Read(key)));
            SafetensorsWriter.Write(Path.Combine(temp, PretrainedModel.WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
            count = tensors.Count;
        });
        return new LoraMergeResult(target, adapter.TargetModules.Count, replaced.Count - adapter.TargetModules.Count, count, fingerprint);
    }

    private static bool IsWeightFile(string name) =>
        name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".bin", StringComparison.Ordinal) ||
        name == PretrainedModel.ShardIndexFileName || name == PretrainedModel.PytorchShardIndexFileName ||
        name == ConfigFileName || name == "optimizer.safetensors" || name == "trainer_state.json";
}

/// <summary>What <see cref="LoraAdapterFolder.Merge"/> wrote.</summary>
/// <param name="OutputFolder">The merged HF folder.</param>
/// <param name="MergedModules">Weights that received B·A.</param>
/// <param name="ReplacedTensors">Other tensors taken from the adapter (biases, LayerNorm, head).</param>
/// <param name="TensorCount">Tensors in the output's model.safetensors.</param>
/// <param name="BaseFingerprint">The base fingerprint, matching the adapter's.</param>
public sealed record LoraMergeResult(string OutputFolder, int MergedModules, int ReplacedTensors, int TensorCount, string BaseFingerprint);
