using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.Runtime;
using Acclimate.Tokenization.Bpe;
using Acclimate.Tokenization.SentencePiece;
using Acclimate.Tokenization.WordPiece;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Checkpoints;

/// <summary>What a weight-space combination (interpolation or checkpoint averaging) wrote.</summary>
/// <param name="OutputFolder">The folder written (absolute).</param>
/// <param name="WeightFiles">The safetensors files combined, relative to the folder (e.g. model.safetensors, head.safetensors).</param>
/// <param name="TensorCount">Tensors written over all weight files.</param>
/// <param name="CopiedFrom">The input whose config, tokenizer and other files were copied.</param>
public sealed record WeightCombinationResult(string OutputFolder, IReadOnlyList<string> WeightFiles, int TensorCount, string CopiedFrom);

/// <summary>
/// θ = Σ wᵢ·θᵢ over model folders of one architecture, tensor by tensor, for every safetensors
/// weight file of the folders (model.safetensors or its shards, a tagger's head.safetensors, an
/// ELECTRA checkpoint's generator/ folder). Floating tensors are combined in float64 and written
/// back in their stored dtype (F32, F16, BF16, F64); integer and bool tensors (saved buffers such as
/// position_ids) must be equal in every input and are copied. Every other file — config.json, the
/// tokenizer files, head_config.json … — is copied from the template input; training state
/// (trainer_state.json, optimizer.safetensors) is left out, so the result is a model, not a
/// resumable checkpoint.
/// </summary>
/// <remarks>
/// Everything is checked before anything is written: the same weight files, the same tensor names,
/// shapes and dtypes in each, config.json agreeing on the architecture and sizes, and the
/// vocabulary files byte-identical. The output is written into a temporary sibling and renamed into
/// place (<see cref="AtomicFolder"/>); an existing output is refused unless overwriting is asked for.
/// </remarks>
internal static class WeightSpaceCombination
{
    /// <summary>Files of a checkpoint folder that are training state, not model: never combined nor copied.</summary>
    public static readonly IReadOnlySet<string> TrainingStateFiles = new HashSet<string>(StringComparer.Ordinal)
    {
        "optimizer.safetensors", "trainer_state.json",
    };

    /// <summary>config.json fields that must agree between the inputs.</summary>
    private static readonly string[] ConfigFields =
    {
        "model_type", "architectures", "hidden_size", "embedding_size", "num_hidden_layers", "num_attention_heads",
        "intermediate_size", "vocab_size", "max_position_embeddings", "type_vocab_size",
    };

    /// <summary>Vocabulary files: when both inputs have one it must be byte-identical; the ones the tokenizer loader reads must be in both.</summary>
    private static readonly (string Name, bool Required)[] VocabularyFiles =
    {
        (WordPieceTextTokenizer.VocabFileName, true),
        (ByteLevelBpeTextTokenizer.VocabFileName, true),
        (ByteLevelBpeTextTokenizer.MergesFileName, true),
        (SentencePieceTextTokenizer.ModelFileName, true),
        ("sentencepiece.bpe.model", true),
        ("added_tokens.json", true),
        ("tokenizer.json", false),
    };

    /// <summary>
    /// Writes Σ weights[i]·θ(inputs[i]) to <paramref name="output"/>. <paramref name="roles"/> names
    /// each input in messages ("--from", "checkpoint-300"); <paramref name="template"/> is the index of
    /// the input whose other files are copied.
    /// </summary>
    public static WeightCombinationResult Combine(IReadOnlyList<string> inputs, IReadOnlyList<double> weights, IReadOnlyList<string> roles,
        int template, string output, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentException.ThrowIfNullOrEmpty(output);
        if (inputs.Count == 0 || inputs.Count != weights.Count || inputs.Count != roles.Count)
            throw new ArgumentException("inputs, weights and roles must be non-empty and of equal length.");
        var folders = inputs.Select(f => Path.GetFullPath(Path.TrimEndingDirectorySeparator(f))).ToArray();
        var target = Path.GetFullPath(Path.TrimEndingDirectorySeparator(output));

        for (var i = 0; i < folders.Length; i++)
            if (!Directory.Exists(folders[i]))
                throw new CheckpointException($"{folders[i]}: {roles[i]} model folder not found.");
        if (folders.Contains(target))
            throw new CheckpointException($"{target}: the output is one of the inputs; write to another folder.");
        if (File.Exists(target))
            throw new CheckpointException($"{target}: the output exists and is a file; expected a new folder.");
        if (Directory.Exists(target) && !overwrite)
            throw new CheckpointException($"{target}: the output folder exists; choose a new folder or overwrite it explicitly (--force).");

        var weightFiles = WeightFilesOf(folders, roles);
        CheckTensors(folders, roles, weightFiles);
        CheckConfigs(folders, roles, template);
        CheckVocabularies(folders, roles, template);

        TorchRuntime.EnsureInitialized();
        var tensorCount = 0;
        AtomicFolder.Write(target, temp =>
        {
            CopyOtherFiles(folders[template], temp, weightFiles);
            foreach (var file in weightFiles)
                tensorCount += CombineFile(folders, roles, weights, template, file, Path.Combine(temp, file));
        });
        return new WeightCombinationResult(target, weightFiles, tensorCount, folders[template]);
    }

    /// <summary>The safetensors weight files (relative paths, sorted) — the same set in every input.</summary>
    private static IReadOnlyList<string> WeightFilesOf(string[] folders, IReadOnlyList<string> roles)
    {
        IReadOnlyList<string> Of(string folder) => Directory.EnumerateFiles(folder, "*.safetensors", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(r => !TrainingStateFiles.Contains(r) && !IsLoraAdapter(r) && !r.Split('/').Any(part => part.StartsWith('.')))
            .Order(StringComparer.Ordinal).ToList();

        var first = Of(folders[0]);
        if (first.Count == 0)
            throw new CheckpointException($"{folders[0]}: {roles[0]} has no safetensors weights (expected {PretrainedModel.WeightsFileName}).");
        for (var i = 1; i < folders.Length; i++)
        {
            var other = Of(folders[i]);
            if (other.Except(first).FirstOrDefault() is { } extra)
                throw new CheckpointException($"{Path.Combine(folders[i], extra)}: {roles[i]} has this weight file but {roles[0]} ({folders[0]}) has not.");
            if (first.Except(other).FirstOrDefault() is { } missing)
                throw new CheckpointException($"{Path.Combine(folders[0], missing)}: {roles[0]} has this weight file but {roles[i]} ({folders[i]}) has not.");
        }
        return first;
    }

    /// <summary>Same tensor names, shapes and dtypes in every input; the first difference is named with both sides.</summary>
    private static void CheckTensors(string[] folders, IReadOnlyList<string> roles, IReadOnlyList<string> weightFiles)
    {
        foreach (var file in weightFiles)
        {
            using var reference = SafetensorsFile.Open(Path.Combine(folders[0], file));
            for (var i = 1; i < folders.Length; i++)
            {
                using var other = SafetensorsFile.Open(Path.Combine(folders[i], file));
                var a = reference.Tensors;
                var b = other.Tensors;
                if (a.Keys.Where(k => !b.ContainsKey(k)).Order(StringComparer.Ordinal).FirstOrDefault() is { } onlyA)
                    throw new CheckpointException($"tensor '{onlyA}' is in {reference.Path} ({roles[0]}) but missing from {other.Path} ({roles[i]}); " +
                                                  "the models must have the same tensors.");
                if (b.Keys.Where(k => !a.ContainsKey(k)).Order(StringComparer.Ordinal).FirstOrDefault() is { } onlyB)
                    throw new CheckpointException($"tensor '{onlyB}' is in {other.Path} ({roles[i]}) but missing from {reference.Path} ({roles[0]}); " +
                                                  "the models must have the same tensors.");
                foreach (var name in a.Keys.Order(StringComparer.Ordinal))
                {
                    var x = a[name];
                    var y = b[name];
                    if (!x.Shape.SequenceEqual(y.Shape))
                        throw new CheckpointException($"tensor '{name}' has shape [{string.Join(", ", x.Shape)}] in {reference.Path} ({roles[0]}) " +
                                                      $"but [{string.Join(", ", y.Shape)}] in {other.Path} ({roles[i]}); the models must have the same architecture and sizes.");
                    if (x.DType != y.DType)
                        throw new CheckpointException($"tensor '{name}' is {x.DType.FormatName()} in {reference.Path} ({roles[0]}) " +
                                                      $"but {y.DType.FormatName()} in {other.Path} ({roles[i]}); convert one model so both store the same dtype.");
                    if (!x.DType.IsReadable())
                        throw new CheckpointException($"tensor '{name}' in {reference.Path}: dtype {x.DType.FormatName()} cannot be read; readable dtypes are {SafetensorsDTypes.ReadableNames}.");
                }
            }
        }
    }

    /// <summary>config.json must exist in every input and agree on the architecture and sizes.</summary>
    private static void CheckConfigs(string[] folders, IReadOnlyList<string> roles, int template)
    {
        var configs = folders.Select(f => ReadConfig(Path.Combine(f, PretrainedModel.ConfigFileName))).ToArray();
        for (var i = 0; i < folders.Length; i++)
        {
            if (i == template) continue;
            foreach (var field in ConfigFields)
            {
                var a = configs[template][field]?.ToJsonString() ?? "(absent)";
                var b = configs[i][field]?.ToJsonString() ?? "(absent)";
                if (a != b)
                    throw new CheckpointException($"{PretrainedModel.ConfigFileName} differs in '{field}': {b} in {Path.Combine(folders[i], PretrainedModel.ConfigFileName)} ({roles[i]}) " +
                                                  $"but {a} in {Path.Combine(folders[template], PretrainedModel.ConfigFileName)} ({roles[template]}); the models must have the same architecture.");
            }
        }
    }

    private static JsonObject ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: not found; a model folder needs its config.json.");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new CheckpointException($"{path}: expected a JSON object.");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>The vocabulary files must be the same bytes, so token ids mean the same thing in every input.</summary>
    private static void CheckVocabularies(string[] folders, IReadOnlyList<string> roles, int template)
    {
        for (var i = 0; i < folders.Length; i++)
        {
            if (i == template) continue;
            foreach (var (name, required) in VocabularyFiles)
            {
                var a = Path.Combine(folders[template], name);
                var b = Path.Combine(folders[i], name);
                bool hasA = File.Exists(a), hasB = File.Exists(b);
                if (hasA && hasB)
                {
                    if (!FilesEqual(a, b))
                        throw new CheckpointException($"tokenizer file {name} differs: {b} ({roles[i]}) and {a} ({roles[template]}) are not the same bytes; " +
                                                      "the models must share one vocabulary (token ids would mean different tokens).");
                }
                else if (required && hasA != hasB)
                {
                    var (has, lacks, hasRole, lacksRole) = hasA ? (a, folders[i], roles[template], roles[i]) : (b, folders[template], roles[i], roles[template]);
                    throw new CheckpointException($"tokenizer file {name}: {has} ({hasRole}) has it but {lacks} ({lacksRole}) does not; the models must share one tokenizer.");
                }
            }
        }
    }

    private static bool FilesEqual(string a, string b)
    {
        if (new FileInfo(a).Length != new FileInfo(b).Length) return false;
        using var x = File.OpenRead(a);
        using var y = File.OpenRead(b);
        var bufferA = new byte[1 << 16];
        var bufferB = new byte[1 << 16];
        while (true)
        {
            var n = x.ReadAtLeast(bufferA, bufferA.Length, throwOnEndOfStream: false);
            var m = y.ReadAtLeast(bufferB, bufferB.Length, throwOnEndOfStream: false);
            if (n != m || !bufferA.AsSpan(0, n).SequenceEqual(bufferB.AsSpan(0, m))) return false;
            if (n == 0) return true;
        }
    }

    // A LoRA checkpoint's adapter/ holds A and B; combining them tensor by tensor would not give the
    // adapter of the combined model (the merged weights beside it are combined correctly), so it is left out.
    private static bool IsLoraAdapter(string relative) => relative.StartsWith(LoraAdapterFolder.CheckpointSubfolder + "/", StringComparison.Ordinal);

    /// <summary>Copies every file of <paramref name="source"/> but the weight files, training state, a LoRA adapter and hidden temporaries.</summary>
    private static void CopyOtherFiles(string source, string destination, IReadOnlyList<string> weightFiles)
    {
        var skip = new HashSet<string>(weightFiles.Concat(TrainingStateFiles), StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file).Replace('\\', '/');
            if (skip.Contains(relative) || IsLoraAdapter(relative) || relative.Split('/').Any(part => part.StartsWith('.'))) continue;
            var to = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    /// <summary>Combines one weight file tensor by tensor; returns the number of tensors written.</summary>
    private static int CombineFile(string[] folders, IReadOnlyList<string> roles, IReadOnlyList<double> weights, int template, string file, string outputPath)
    {
        var sources = new List<SafetensorsFile>();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var folder in folders) sources.Add(SafetensorsFile.Open(Path.Combine(folder, file)));
            using var noGrad = no_grad();
            foreach (var (name, info) in sources[template].Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                result[name] = IsFloating(info.DType)
                    ? WeightedSum(sources, weights, name, info.DType.ToScalarType()!.Value)
                    : EqualEverywhere(sources, roles, template, name);
            Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
            SafetensorsWriter.Write(outputPath, result, sources[template].Metadata);
            return result.Count;
        }
        finally
        {
            foreach (var t in result.Values) t.Dispose();
            foreach (var s in sources) s.Dispose();
        }
    }

    private static bool IsFloating(SafetensorsDType dtype) =>
        dtype is SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.F32 or SafetensorsDType.F64;

    /// <summary>Σ wᵢ·xᵢ in float64, rounded once to the stored dtype. A zero weight skips its input, so α = 0 or 1 reproduces an input bit for bit.</summary>
    private static Tensor WeightedSum(List<SafetensorsFile> sources, IReadOnlyList<double> weights, string name, ScalarType dtype)
    {
        Tensor? sum = null;
        try
        {
            for (var i = 0; i < sources.Count; i++)
            {
                if (weights[i] == 0) continue;
                using var value = sources[i].ReadTensor(name, ScalarType.Float64);
                if (sum is null) sum = value.mul(weights[i]);
                else sum.add_(value, alpha: weights[i]);
            }
            sum ??= zeros(sources[0].Tensors[name].Shape, ScalarType.Float64);
            if (dtype == ScalarType.Float64)
            {
                var kept = sum;
                sum = null;
                return kept;
            }
            return sum.to_type(dtype);
        }
        finally
        {
            sum?.Dispose();
        }
    }

    /// <summary>Integer and bool tensors are not averaged: they must hold the same values in every input.</summary>
    private static Tensor EqualEverywhere(List<SafetensorsFile> sources, IReadOnlyList<string> roles, int template, string name)
    {
        var value = sources[template].ReadTensor(name);
        for (var i = 0; i < sources.Count; i++)
        {
            if (i == template) continue;
            using var other = sources[i].ReadTensor(name);
            using var same = value.eq(other);
            using var all = same.all();
            if (!all.item<bool>())
            {
                value.Dispose();
                throw new CheckpointException($"tensor '{name}' ({sources[i].Tensors[name].DType.FormatName()}, not a float) differs between {sources[i].Path} ({roles[i]}) " +
                                              $"and {sources[template].Path} ({roles[template]}); integer tensors cannot be averaged and must be equal.");
            }
        }
        return value;
    }
}
