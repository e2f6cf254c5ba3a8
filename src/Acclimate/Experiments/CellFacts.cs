using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Acclimate.Experiments;

/// <summary>
/// What a finished cell's own files say beside its metric: whether its best dev epoch was its last
/// (a run still improving when it stopped), and what it cost (updates, wall time; for a pretraining
/// run also the sequences and token positions it trained on).
/// </summary>
/// <param name="Epochs">Epochs the run evaluated on dev (null when its results hold no per-epoch record).</param>
/// <param name="BestEpoch">The epoch whose checkpoint was kept (1-based), or null.</param>
/// <param name="Updates">Optimizer updates, or null when the files do not say.</param>
/// <param name="Tokens">Token positions trained on (updates × batch × block), for pretraining runs; null otherwise.</param>
/// <param name="Seconds">Wall time of the cell as the sweep measured it, or null.</param>
public sealed record CellFacts(int? Epochs, int? BestEpoch, long? Updates, long? Tokens, double? Seconds)
{
    /// <summary>True when the kept checkpoint is the last epoch's: the run may not have converged.</summary>
    public bool? BestIsLast => Epochs is { } n && BestEpoch is { } b ? b == n : null;

    /// <summary>Reads a fine-tuning cell's results.json, metrics.jsonl and sweep-cell.json.</summary>
    public static CellFacts OfFineTuning(string folder)
    {
        int? epochs = null, best = null;
        long? updates = null;
        var results = Path.Combine(folder, "results.json");
        if (File.Exists(results) && JsonNode.Parse(File.ReadAllText(results)) is JsonObject r && r["epochs"] is JsonArray list && list.Count > 0)
        {
            epochs = list.Count;
            best = BestEpochOf(list, r["dev"] as JsonObject, r["best_step"]);
            if (list[^1]?["step"] is JsonValue step) updates = step.GetValue<long>();
        }
        updates = LastStep(Path.Combine(folder, "metrics.jsonl")) ?? updates;
        return new CellFacts(epochs, best, updates, null, SecondsOf(folder));
    }

    /// <summary>Reads a pretraining cell's forgetting.json (steps), recipe.yaml (batch, block) and sweep-cell.json.</summary>
    public static CellFacts OfPretraining(string folder)
    {
        long? updates = null, tokens = null;
        var forgetting = Path.Combine(folder, "forgetting.json");
        if (File.Exists(forgetting) && JsonNode.Parse(File.ReadAllText(forgetting))?["steps"] is JsonValue steps) updates = steps.GetValue<long>();
        updates ??= LastStep(Path.Combine(folder, "metrics.jsonl"));
        var recipe = Path.Combine(folder, "recipe.yaml");
        if (updates is { } u && File.Exists(recipe) && RecipeNumber(recipe, "training", "batch_size") is { } batch && RecipeNumber(recipe, "data", "block_size") is { } block)
            tokens = u * batch * block;
        return new CellFacts(null, null, updates, tokens, SecondsOf(folder));
    }

    /// <summary>
    /// The kept epoch: the last one flagged is_best where the record has the flag; else the one whose
    /// step is best_step; else the last one whose dev scores equal the final dev scores (the kept
    /// checkpoint's, re-scored).
    /// </summary>
    private static int? BestEpochOf(JsonArray epochs, JsonObject? dev, JsonNode? bestStep)
    {
        if (epochs.Any(e => e?["is_best"] is JsonValue))
        {
            var last = -1;
            for (var i = 0; i < epochs.Count; i++) if (epochs[i]?["is_best"] is JsonValue v && v.GetValue<bool>()) last = i;
            return last < 0 ? null : last + 1;
        }
        if (bestStep is JsonValue bs && epochs.All(e => e?["step"] is JsonValue))
        {
            var step = bs.GetValue<long>();
            for (var i = 0; i < epochs.Count; i++) if (epochs[i]!["step"]!.GetValue<long>() == step) return i + 1;
        }
        if (dev is null) return null;
        for (var i = epochs.Count - 1; i >= 0; i--)
        {
            var scores = epochs[i]?["dev"] as JsonObject ?? epochs[i] as JsonObject;
            if (scores is null) continue;
            var shared = dev.Where(kv => kv.Value is JsonValue && scores[kv.Key] is JsonValue).ToList();
            if (shared.Count > 0 && shared.All(kv => Math.Abs(kv.Value!.GetValue<double>() - scores[kv.Key]!.GetValue<double>()) < 1e-9)) return i + 1;
        }
        return null;
    }

    private static long? LastStep(string metrics)
    {
        if (!File.Exists(metrics)) return null;
        long? last = null;
        foreach (var line in File.ReadLines(metrics))
        {
            if (line.Length == 0) continue;
            try
            {
                if (JsonNode.Parse(line)?["step"] is JsonValue step && step.TryGetValue<long>(out var s)) last = Math.Max(last ?? 0, s);
            }
            catch (System.Text.Json.JsonException)
            {
                // A line cut by a kill: the steps before it still count.
            }
        }
        return last;
    }

    private static double? SecondsOf(string folder)
    {
        var done = Path.Combine(folder, SweepRunner.DoneFile);
        return File.Exists(done) && JsonNode.Parse(File.ReadAllText(done))?["seconds"] is JsonValue v ? v.GetValue<double>() : null;
    }

    private static long? RecipeNumber(string recipe, string section, string key)
    {
        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(File.ReadAllText(recipe)));
            if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) return null;
            return root.Children.TryGetValue(new YamlScalarNode(section), out var s) && s is YamlMappingNode m
                   && m.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: { } text }
                   && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (YamlDotNet.Core.YamlException)
        {
            return null;
        }
    }
}
