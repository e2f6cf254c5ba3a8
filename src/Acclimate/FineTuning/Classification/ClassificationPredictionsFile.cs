using System.Text.Json.Nodes;
using Acclimate.Data.Datasets;
using Acclimate.IO;

namespace Acclimate.FineTuning.Classification;

/// <summary>
/// Writes a classifier's predictions as JSONL, one line per example in input order:
/// <c>{"source","line","gold","pred","probabilities":{label: p}}</c>, atomically. The sweep's paired
/// bootstrap over test items reads <c>gold</c> and <c>pred</c>.
/// </summary>
public static class ClassificationPredictionsFile
{
    /// <summary>Writes one line per example.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="gold">The scored examples with their gold labels and source positions.</param>
    /// <param name="predicted">Predicted label id and label probabilities per example, same order.</param>
    /// <param name="labels">The label of each id.</param>
    public static void Write(string path, IReadOnlyList<ClassificationExample> gold, IReadOnlyList<(int Label, float[] Probabilities)> predicted, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(labels);
        if (gold.Count != predicted.Count) throw new ArgumentException($"{gold.Count} examples but {predicted.Count} predictions.", nameof(predicted));
        var lines = new System.Text.StringBuilder();
        for (var i = 0; i < gold.Count; i++)
        {
            var probabilities = new JsonObject();
            for (var k = 0; k < labels.Count; k++) probabilities[labels[k]] = Math.Round(predicted[i].Probabilities[k], 6);
            var line = new JsonObject
            {
                ["source"] = gold[i].SourceFile,
                ["line"] = gold[i].LineNumber,
                ["gold"] = gold[i].Label,
                ["pred"] = labels[predicted[i].Label],
                ["probabilities"] = probabilities,
            };
            lines.Append(line.ToJsonString()).Append('\n');
        }
        AtomicFile.WriteAllText(path, lines.ToString());
    }
}
