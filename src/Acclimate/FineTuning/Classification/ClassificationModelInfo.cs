using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Classification;

/// <summary>How a saved classifier cuts its inputs (saved as <c>classification.json</c>), so evaluate/predict truncate as training did.</summary>
public sealed record ClassificationModelInfo(int MaxLength, TruncationStrategy Truncation, int HeadTokens)
{
    /// <summary>The file name inside a saved classifier's folder.</summary>
    public const string FileName = "classification.json";

    /// <summary>The truncation settings of a recipe's <c>model:</c> section.</summary>
    public static ClassificationModelInfo From(FineTuneModelOptions model) => new(model.MaxLength, model.Truncation, model.HeadTokens);

    /// <summary>The model options that reproduce this truncation for <see cref="ClassificationPredictor.Encode"/>.</summary>
    public FineTuneModelOptions ToModelOptions(string folder) => new() { Encoder = folder, MaxLength = MaxLength, Truncation = Truncation, HeadTokens = HeadTokens };

    /// <summary>Writes <see cref="FileName"/> into <paramref name="folder"/> atomically.</summary>
    public void Save(string folder)
    {
        var json = new JsonObject { ["max_length"] = MaxLength, ["truncation"] = Truncation.ToString(), ["head_tokens"] = HeadTokens };
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The folder's classification.json, or null when it has none.</summary>
    public static ClassificationModelInfo? TryLoad(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointException($"{path}: expected a JSON object.");
            return new ClassificationModelInfo(
                json["max_length"]?.GetValue<int>() ?? throw new CheckpointException($"{path}: 'max_length' is missing."),
                Enum.Parse<TruncationStrategy>(json["truncation"]?.GetValue<string>() ?? "Head", ignoreCase: true),
                json["head_tokens"]?.GetValue<int>() ?? 64);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new CheckpointException($"{path}: not a valid {FileName} ({e.Message}).", e);
        }
    }
}
