using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Data.Corpora;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.OnnxRuntime;

namespace Acclimate.Cli.Commands;

/// <summary><c>acclimate embed</c>: one sentence embedding per input line.</summary>
internal static class EmbedCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "Encoder folder (e.g. from 'model fetch all-MiniLM-L6-v2').", Required = true };
        var input = new Option<string>("--input") { Description = "A .jsonl file with a \"text\" field per line, a .conll file (its sentences), plain text (one text per line), a .gz of a text or .jsonl file, or a .parquet file's \"text\" column.", Required = true };
        var outPath = new Option<string>("--output") { Description = "JSONL to write: {\"embedding\": [...]} per input line, in order.", Required = true };
        var pooling = new Option<string?>("--pooling") { Description = "mean or cls (default: the model folder's 1_Pooling/config.json, else mean)." };
        var noNormalize = new Option<bool>("--no-normalize") { Description = "Do not L2-normalise the embeddings." };
        var maxLength = new Option<int>("--max-length") { Description = "Tokens per text (longer texts are cut).", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var device = CommonOptions.Device();
        var backend = CommonOptions.Backend();
        var cache = CommonOptions.OnnxCache();
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads (default: its own, the physical cores); libtorch uses its process setting." };
        var command = new Command("embed", "Sentence embeddings (mean or [CLS] pooling, L2-normalised) for each line of a file.")
        {
            model, input, outPath, pooling, noNormalize, maxLength, batch, device, backend, cache, threads,
        };
        command.SetAction(result =>
        {
            SentencePooling? chosen = result.GetValue(pooling)?.Trim().ToLowerInvariant() switch
            {
                null or "" => null,
                "mean" => SentencePooling.Mean,
                "cls" => SentencePooling.Cls,
                var other => throw new ConfigException($"--pooling {other}: expected mean or cls."),
            };
            var texts = InputTexts.Read(result.GetValue(input)!);
            using var embedder = InferenceModels.OpenEmbedder(result.GetValue(model)!,
                new EmbeddingOptions(chosen, !result.GetValue(noNormalize), result.GetValue(maxLength), result.GetValue(batch)),
                new InferenceOptions(InferenceBackends.Parse(result.GetValue(backend)), result.GetValue(cache), result.GetValue(threads), result.GetValue(device)), output);
            var vectors = embedder.Embed(texts);
            var path = result.GetValue(outPath)!;
            AtomicFile.WriteText(path, writer =>
            {
                foreach (var v in vectors)
                    writer.WriteLine(new JsonObject { ["embedding"] = new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()) }.ToJsonString());
            });
            output.WriteLine($"wrote {vectors.Length} embeddings of {embedder.Dimension} values ({embedder.Pooling.ToString().ToLowerInvariant()} pooling{(result.GetValue(noNormalize) ? "" : ", L2-normalised")}) to {path} on {embedder.Backend.Backend}");
            return 0;
        });
        return command;
    }
}
