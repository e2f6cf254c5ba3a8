using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Checkpoints.Onnx;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Training;
using static TorchSharp.torch;
using Acclimate.IO;

namespace Acclimate.Encoders;

/// <summary>Settings of <see cref="OnnxEncoderImport.ToFolder"/>.</summary>
/// <param name="OnnxPath">The .onnx file (all tensors inside it).</param>
/// <param name="VocabPath">A WordPiece vocab.txt to ship beside the weights, or null for a folder without a tokenizer.</param>
/// <param name="NumHeads">Attention heads, when the graph does not show them.</param>
/// <param name="Lowercase">Whether the tokenizer lowercases (uncased models, the default).</param>
public sealed record OnnxImportRequest(string OnnxPath, string? VocabPath = null, int? NumHeads = null, bool Lowercase = true);

/// <summary>
/// Turns a BERT-family ONNX export into a HuggingFace model folder: config.json, model.safetensors,
/// and (given a vocabulary) vocab.txt + tokenizer_config.json. The folder is written whole or not at
/// all, and loaded back before it is published: every encoder tensor must come from the file.
/// </summary>
public static class OnnxEncoderImport
{
    /// <summary>Writes the folder and returns how each setting was inferred.</summary>
    public static IReadOnlyList<string> ToFolder(OnnxImportRequest request, string outputFolder)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = OnnxModel.Load(request.OnnxPath);
        var import = BertOnnxImporter.Import(model, request.OnnxPath, request.NumHeads);
        var vocab = request.VocabPath is null ? null : ReadVocabulary(request.VocabPath, import.VocabSize);
        AtomicFolder.Write(outputFolder, folder =>
        {
            WriteWeights(import, folder);
            AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), import.Config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (vocab is not null)
            {
                AtomicFile.WriteAllText(Path.Combine(folder, "vocab.txt"), string.Join("\n", vocab) + "\n");
                var tokenizerConfig = new JsonObject
                {
                    ["do_lower_case"] = request.Lowercase,
                    ["tokenizer_class"] = "BertTokenizer",
                    ["model_max_length"] = import.Config["max_position_embeddings"]!.GetValue<int>(),
                };
                AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), tokenizerConfig.ToJsonString() + "\n");
            }
            VerifyLoads(folder, import, request.OnnxPath);
        });
        return import.Notes;
    }

    private static void WriteWeights(OnnxImport import, string folder)
    {
        using var scope = NewDisposeScope();
        var tensors = import.Weights.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key, tensor(kv.Value.Values, kv.Value.Shape)));
        SafetensorsWriter.Write(Path.Combine(folder, PretrainedModel.WeightsFileName), tensors.ToList(), new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>The folder must load as a BertModel with every encoder tensor from the file (the pooler only where the graph had one).</summary>
    private static void VerifyLoads(string folder, OnnxImport import, string source)
    {
        var (loaded, report) = PretrainedModel.Load(folder, ModelTask.Base);
        using (loaded)
        {
            var missing = report.MissingKeys.Where(k => !(k.StartsWith("pooler.", StringComparison.Ordinal) && !import.Weights.ContainsKey("pooler.dense.weight"))).ToList();
            if (missing.Count > 0 || report.UnexpectedKeys.Count > 0)
                throw new CheckpointException($"{source}: the imported folder does not load cleanly (missing: {string.Join(", ", missing)}; unexpected: {string.Join(", ", report.UnexpectedKeys)}).");
        }
    }

    /// <summary>The vocabulary's tokens (CRLF or LF lines); its size must equal the embedding rows.</summary>
    public static IReadOnlyList<string> ReadVocabulary(string path, int expectedSize)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: vocabulary file not found.");
        var text = File.ReadAllText(path, Encoding.UTF8);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count != expectedSize)
            throw new DataException($"{path}: {lines.Count} tokens, but the model's word embedding matrix has {expectedSize} rows; this vocabulary does not belong to this model.");
        return lines;
    }
}
