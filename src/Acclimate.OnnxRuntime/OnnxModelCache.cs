using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Data.Corpora;
using Acclimate.Encoders;

namespace Acclimate.OnnxRuntime;

/// <summary>An exported graph in the cache, verified against its recorded hashes.</summary>
/// <param name="Folder">The cache entry's folder.</param>
/// <param name="OnnxPath">The graph.</param>
/// <param name="CrfPath">The CRF's JSON beside it (CRF taggers), else null.</param>
/// <param name="ParityMaxAbsDiff">The largest |ONNX Runtime − libtorch| measured on the probes when this entry was first used, or null when not checked yet.</param>
internal sealed record CachedOnnxModel(string Folder, string OnnxPath, string? CrfPath, double? ParityMaxAbsDiff);

/// <summary>
/// Exported ONNX graphs of model folders, kept under <c>&lt;cache&gt;/onnx/&lt;key&gt;/</c>, where the
/// key is the SHA-256 of everything that decides the graph: the folder's weights, config and
/// tokenizer files (as <see cref="SentenceEmbedder.Fingerprint"/> reads them, plus <c>.bin</c>
/// weights and <c>1_Pooling/config.json</c>), the export kind and quantization, and the versions of
/// Acclimate (the exporter) and ONNX Runtime. An entry is written into a temporary sibling folder
/// and renamed into place when complete; its <c>entry.json</c> records the SHA-256 of the graph
/// (and of the CRF file), so a truncated or altered file is detected on the next use, deleted and
/// rebuilt instead of being run.
/// </summary>
internal static class OnnxModelCache
{
    private const string EntryFile = "entry.json";
    private const string Format = "acclimate-onnx-cache/1";

    /// <summary>The cache root: <paramref name="cacheDirectory"/>, or the user's Acclimate cache.</summary>
    public static string Root(string? cacheDirectory) => Path.Combine(cacheDirectory ?? AcclimateCache.DefaultDirectory(), "onnx");

    /// <summary>The entry for <paramref name="modelFolder"/> exported as <paramref name="kind"/>; exported now if absent or corrupt.</summary>
    /// <exception cref="Errors.AcclimateException">The folder cannot be exported (the exporter's message).</exception>
    public static CachedOnnxModel Ensure(string modelFolder, OnnxExportKind kind, OnnxQuantization quantization, string? cacheDirectory, TextWriter? log)
    {
        var key = Key(modelFolder, kind, quantization);
        var folder = Path.Combine(Root(cacheDirectory), key);
        var existing = TryOpen(folder, out var problem);
        if (existing is not null) return existing;
        if (problem is not null)
        {
            log?.WriteLine($"onnx cache: {folder}: {problem}; exporting again.");
            TryDelete(folder);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        var temp = Path.Combine(Path.GetDirectoryName(folder)!, $".{key}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            var onnx = Path.Combine(temp, "model.onnx");
            var result = OnnxExport.Export(new OnnxExportRequest(modelFolder, onnx, kind, quantization));
            var entry = new JsonObject
            {
                ["format"] = Format,
                ["source"] = Path.GetFullPath(modelFolder),
                ["kind"] = result.Kind.ToString().ToLowerInvariant(),
                ["quantization"] = quantization.ToString().ToLowerInvariant(),
                ["onnx_sha256"] = Sha256(onnx),
                ["crf_sha256"] = result.CrfPath is null ? null : Sha256(result.CrfPath),
            };
            File.WriteAllText(Path.Combine(temp, EntryFile), entry.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            try { Directory.Move(temp, folder); }
            catch (IOException) when (Directory.Exists(folder))
            {
                // Another process finished the same entry first: use it if it verifies, else replace it.
                if (TryOpen(folder, out _) is { } theirs) { TryDelete(temp); return theirs; }
                TryDelete(folder);
                Directory.Move(temp, folder);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        log?.WriteLine($"onnx cache: exported {modelFolder} ({kind.ToString().ToLowerInvariant()}, {quantization.ToString().ToLowerInvariant()}) to {folder}");
        PruneSuperseded(folder, log);
        return TryOpen(folder, out var after) ?? throw new IOException($"onnx cache: {folder}: the entry just written does not verify ({after}).");
    }

    /// <summary>Records the parity measured for an entry, so later uses need not load the libtorch model to check again.</summary>
    public static void RecordParity(CachedOnnxModel entry, double maxAbsDiff, int probes)
    {
        var path = Path.Combine(entry.Folder, EntryFile);
        var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        node["parity_max_abs_diff"] = maxAbsDiff;
        node["parity_probes"] = probes;
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The entry in <paramref name="folder"/> if it is complete and its files match their hashes; else null with what is wrong (null problem: no entry).</summary>
    internal static CachedOnnxModel? TryOpen(string folder, out string? problem)
    {
        problem = null;
        if (!Directory.Exists(folder)) return null;
        var entryPath = Path.Combine(folder, EntryFile);
        if (!File.Exists(entryPath)) { problem = $"no {EntryFile} (an interrupted export)"; return null; }
        JsonObject entry;
        try { entry = JsonNode.Parse(File.ReadAllText(entryPath))?.AsObject() ?? throw new JsonException("not an object"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { problem = $"{EntryFile} is not valid JSON ({e.Message})"; return null; }
        if (entry["format"]?.GetValue<string>() != Format) { problem = $"{EntryFile} has format '{entry["format"]}', expected '{Format}'"; return null; }
        var onnx = Path.Combine(folder, "model.onnx");
        if (!File.Exists(onnx)) { problem = "model.onnx is missing"; return null; }
        var expected = entry["onnx_sha256"]?.GetValue<string>();
        var actual = Sha256(onnx);
        if (expected != actual) { problem = $"model.onnx has SHA-256 {actual[..12]}…, but {EntryFile} records {(expected is null ? "none" : expected[..Math.Min(12, expected.Length)] + "…")} (truncated or altered)"; return null; }
        string? crf = null;
        if (entry["crf_sha256"]?.GetValue<string>() is { } crfHash)
        {
            crf = Path.Combine(folder, "model.onnx.crf.json");
            if (!File.Exists(crf)) { problem = "model.onnx.crf.json is missing"; return null; }
            if (Sha256(crf) != crfHash) { problem = "model.onnx.crf.json does not match its recorded SHA-256 (truncated or altered)"; return null; }
        }
        var parity = entry["parity_max_abs_diff"] is JsonValue v && v.TryGetValue<double>(out var d) ? d : (double?)null;
        return new CachedOnnxModel(folder, onnx, crf, parity);
    }

    /// <summary>
    /// Deletes the other entries made from the same folder path with the same kind and quantization:
    /// exports of an earlier state of that folder (retrained, edited) or by another Acclimate or ONNX
    /// Runtime version, which the new entry supersedes. Entries of other folders are left alone.
    /// </summary>
    private static void PruneSuperseded(string folder, TextWriter? log)
    {
        static (string?, string?, string?) Identity(string entryFolder)
        {
            try
            {
                var node = JsonNode.Parse(File.ReadAllText(Path.Combine(entryFolder, EntryFile)));
                return (node?["source"]?.GetValue<string>(), node?["kind"]?.GetValue<string>(), node?["quantization"]?.GetValue<string>());
            }
            catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or UnauthorizedAccessException) { return (null, null, null); }
        }
        var mine = Identity(folder);
        if (mine.Item1 is null) return;
        foreach (var other in Directory.EnumerateDirectories(Path.GetDirectoryName(folder)!))
        {
            if (Path.GetFileName(other).StartsWith('.') || Path.GetFullPath(other) == Path.GetFullPath(folder)) continue;
            if (Identity(other) != mine) continue;
            TryDelete(other);
            log?.WriteLine($"onnx cache: removed {other} (an earlier export of {mine.Item1}, superseded)");
        }
    }

    /// <summary>The cache key of a folder's export (hex SHA-256).</summary>
    internal static string Key(string modelFolder, OnnxExportKind kind, OnnxQuantization quantization)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(modelFolder)
            .Where(f => Path.GetFileName(f) is var n && (n.EndsWith(".safetensors", StringComparison.Ordinal) || n.EndsWith(".json", StringComparison.Ordinal)
                || n.EndsWith(".bin", StringComparison.Ordinal) || n is "vocab.txt" or "merges.txt" or "spiece.model" or "sentencepiece.bpe.model"))
            .Select(f => (Name: Path.GetFileName(f), Path: f))
            .ToList();
        var pooling = Path.Combine(modelFolder, "1_Pooling", "config.json");
        if (File.Exists(pooling)) files.Add(("1_Pooling/config.json", pooling));
        foreach (var (name, path) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
            using var stream = File.OpenRead(path);
            hash.AppendData(SHA256.HashData(stream));
        }
        var acclimate = typeof(OnnxExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        var ort = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString() ?? "";
        hash.AppendData(Encoding.UTF8.GetBytes($"{Format};kind={kind};quantization={quantization};acclimate={acclimate};onnxruntime={ort}"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void TryDelete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
