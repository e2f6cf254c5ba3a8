using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.IO;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>Writes gold and predicted tags per sentence as JSONL (<c>{"source","line","tokens","gold","pred"}</c>), atomically.</summary>
public static class TaggingPredictionsFile
{
    /// <summary>Writes one line per sentence.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="gold">Sentences with their gold tags and source positions.</param>
    /// <param name="predicted">Predicted tags, one list per sentence, same order.</param>
    /// <param name="folds">Cross-validation: the fold that predicted each sentence, added as <c>"fold"</c>.</param>
    public static void Write(string path, IReadOnlyList<TaggedSentence> gold, IReadOnlyList<IReadOnlyList<string>> predicted, IReadOnlyList<int>? folds = null)
    {
        var lines = new System.Text.StringBuilder();
        for (var i = 0; i < gold.Count; i++)
        {
            var line = new JsonObject
            {
                ["source"] = gold[i].SourceFile,
                ["line"] = gold[i].LineNumber,
                ["tokens"] = new JsonArray(gold[i].Words.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
                ["gold"] = new JsonArray(gold[i].Tags.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
                ["pred"] = new JsonArray(predicted[i].Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
            };
            if (folds is not null) line["fold"] = folds[i];
            lines.Append(line.ToJsonString()).Append('\n');
        }
        AtomicFile.WriteAllText(path, lines.ToString());
    }
}
