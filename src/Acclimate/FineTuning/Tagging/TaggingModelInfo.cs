using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// What a saved tagger needs beyond its weights to be used on new text: the files' and the model's
/// tagging schemes (null for plain tags) and the input length and window stride it was trained
/// with. Saved as <c>tagging.json</c> beside the labeler's files.
/// </summary>
public sealed record TaggingModelInfo(TaggingScheme? FileScheme, TaggingScheme? ModelScheme, int MaxLength, int Stride)
{
    /// <summary>The file name inside a saved tagger's folder.</summary>
    public const string FileName = "tagging.json";

    /// <summary>Writes <see cref="FileName"/> into <paramref name="folder"/> atomically.</summary>
    public void Save(string folder)
    {
        var json = new JsonObject
        {
            ["file_scheme"] = FileScheme?.ToString(),
            ["model_scheme"] = ModelScheme?.ToString(),
            ["max_length"] = MaxLength,
            ["stride"] = Stride,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Reads <c>tagging.json</c> of a saved tagger; a folder without one is a <see cref="CheckpointException"/>.</summary>
    public static TaggingModelInfo Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new CheckpointException($"{folder}: no {FileName}; expected a tagger saved by `acclimate finetune` (its best-model folder).");
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointException($"{path}: expected a JSON object.");
            TaggingScheme? Scheme(string key) => json[key]?.GetValue<string>() is { } s ? TaggingSchemes.Parse(s) : null;
            return new TaggingModelInfo(Scheme("file_scheme"), Scheme("model_scheme"),
                json["max_length"]?.GetValue<int>() ?? throw new CheckpointException($"{path}: 'max_length' is missing."),
                json["stride"]?.GetValue<int>() ?? 0);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{path}: not a valid {FileName} ({e.Message}).", e);
        }
    }
}
