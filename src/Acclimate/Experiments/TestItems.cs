using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.Evaluation;

namespace Acclimate.Experiments;

/// <summary>
/// Per-test-item counts read back from a run's <c>predictions-test.jsonl</c>, so that a paired
/// bootstrap can recompute a metric on any resample of the test set, and the groups a clustered
/// bootstrap resamples.
/// </summary>
public static class TestItems
{
    /// <summary>The predictions file every fine-tuning run writes for its test set.</summary>
    public const string PredictionsFile = "predictions-test.jsonl";

    /// <summary>The metrics the paired bootstrap over test items can recompute from <see cref="PredictionsFile"/>.</summary>
    public static readonly IReadOnlyList<string> BootstrapMetrics = new[] { "test.f1", "test.accuracy", "test.macro_f1" };

    /// <summary>
    /// Paired bootstrap over test items of <paramref name="metric"/>, from each pair of run folders'
    /// predictions: entity F1 (seqeval's default chunking) over sentences for a tagger's
    /// <c>test.f1</c>; accuracy or macro-F1 over examples for a classifier's <c>test.accuracy</c> /
    /// <c>test.macro_f1</c>. With <paramref name="group"/>, items are resampled in groups. Null for
    /// other metrics, when a file is missing, or when the files do not hold what the metric needs.
    /// </summary>
    public static BootstrapResult? Bootstrap(string metric, IReadOnlyList<(string Setting, string Baseline)> folders, int resamples, BootstrapGroup? group = null)
    {
        if (!BootstrapMetrics.Contains(metric) || folders.Count == 0) return null;
        var files = folders.Select(f => (A: Path.Combine(f.Setting, PredictionsFile), B: Path.Combine(f.Baseline, PredictionsFile))).ToList();
        if (files.Any(f => !File.Exists(f.A) || !File.Exists(f.B))) return null;
        var classifier = IsClassification(files[0].A);
        if (files.Any(f => IsClassification(f.A) != classifier || IsClassification(f.B) != classifier)) return null;
        if (metric == "test.f1" && classifier) return null;
        if (metric != "test.f1" && !classifier) return null;
        Func<string, IReadOnlyList<double[]>> counts;
        Func<double[], double> statistic;
        if (metric == "test.f1")
        {
            counts = SentenceCounts;
            statistic = c => c[1] + c[2] == 0 ? 0 : 2 * c[0] / (c[1] + c[2]);
        }
        else
        {
            var labels = files.SelectMany(f => new[] { f.A, f.B }).SelectMany(ClassificationPairs).SelectMany(p => new[] { p.Gold, p.Pred })
                .Distinct(StringComparer.Ordinal).OrderBy(l => l, StringComparer.Ordinal).ToList();
            counts = file => ExampleCounts(file, labels);
            statistic = metric == "test.accuracy" ? AccuracyOf : c => MacroF1Of(c, labels.Count);
        }
        var seeds = new List<(IReadOnlyList<double[]>, IReadOnlyList<double[]>)>();
        foreach (var (a, b) in files)
        {
            var ca = counts(a);
            var cb = counts(b);
            if (ca.Count != cb.Count) return null;
            seeds.Add((ca, cb));
        }
        var groups = group is null ? null : Groups(files[0].A, group);
        return PairedStatistics.PairedBootstrap(seeds, statistic, resamples, groups: groups);
    }

    /// <summary>
    /// The group of each item of a predictions file: the value of <see cref="BootstrapGroup.Field"/>
    /// in the item's row of its test file (the prediction's <c>source</c>, at its <c>line</c>), after
    /// <see cref="BootstrapGroup.Remove"/>; equal keys share a group id.
    /// </summary>
    public static IReadOnlyList<int> Groups(string predictionsFile, BootstrapGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var sources = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<int>();
        var number = 0;
        foreach (var line in File.ReadLines(predictionsFile))
        {
            number++;
            if (line.Length == 0) continue;
            var node = JsonNode.Parse(line)!;
            var source = node["source"]?.GetValue<string>();
            var at = node["line"]?.GetValue<int>();
            if (source is null || at is null)
                throw new DataException($"{predictionsFile}:{number}: bootstrap_group needs each prediction's source and line (written by fine-tuning runs); this one has none.");
            if (!sources.TryGetValue(source, out var rows))
            {
                if (!File.Exists(source)) throw new DataException($"{predictionsFile}:{number}: the test file '{source}' it names is not found (run the report from the folder the sweep ran in).");
                sources[source] = rows = File.ReadAllLines(source);
            }
            if (at < 1 || at > rows.Length) throw new DataException($"{predictionsFile}:{number}: line {at} is outside '{source}' ({rows.Length} lines).");
            JsonNode? row;
            try { row = JsonNode.Parse(rows[at.Value - 1]); }
            catch (System.Text.Json.JsonException e) { throw new DataException($"{source}:{at}: bootstrap_group reads JSONL test files; this line is not JSON ({e.Message}).", e); }
            var value = row?[group.Field] is JsonValue v ? v.ToString() : throw new DataException($"{source}:{at}: no field '{group.Field}' to group test items by.");
            var key = group.KeyOf(value);
            if (!ids.TryGetValue(key, out var id)) ids[key] = id = ids.Count;
            result.Add(id);
        }
        return result;
    }

    private static bool IsClassification(string predictionsFile)
    {
        var first = File.ReadLines(predictionsFile).FirstOrDefault(l => l.Length > 0);
        return first is not null && JsonNode.Parse(first)!["gold"] is JsonValue;
    }

    private static IEnumerable<(string Gold, string Pred)> ClassificationPairs(string predictionsFile) =>
        File.ReadLines(predictionsFile).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!)
            .Select(n => (n["gold"]!.GetValue<string>(), n["pred"]!.GetValue<string>()));

    /// <summary>
    /// Per example of a classifier's predictions file: [correct, 1] followed, for each label of
    /// <paramref name="labels"/>, by [true positive, predicted, gold] (0 or 1 each), so that sums
    /// over any sample give its accuracy and every label's F1.
    /// </summary>
    public static IReadOnlyList<double[]> ExampleCounts(string predictionsFile, IReadOnlyList<string> labels)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        return ClassificationPairs(predictionsFile).Select(p =>
        {
            var row = new double[2 + 3 * labels.Count];
            row[0] = p.Gold == p.Pred ? 1 : 0;
            row[1] = 1;
            var g = index[p.Gold];
            var q = index[p.Pred];
            if (g == q) row[2 + 3 * g] = 1;
            row[2 + 3 * q + 1] = 1;
            row[2 + 3 * g + 2] = 1;
            return row;
        }).ToList();
    }

    private static double AccuracyOf(double[] c) => c[1] == 0 ? 0 : c[0] / c[1];

    /// <summary>
    /// Macro-F1 over the labels that occur (as gold or prediction) in the summed sample, as
    /// scikit-learn's f1_score(average="macro") over the labels present in y_true or y_pred.
    /// </summary>
    private static double MacroF1Of(double[] c, int labels)
    {
        double sum = 0;
        var present = 0;
        for (var k = 0; k < labels; k++)
        {
            double tp = c[2 + 3 * k], predicted = c[2 + 3 * k + 1], gold = c[2 + 3 * k + 2];
            if (predicted + gold == 0) continue;
            present++;
            sum += 2 * tp / (predicted + gold);
        }
        return present == 0 ? 0 : sum / present;
    }

    /// <summary>Per sentence of a tagger's predictions file: [correct, predicted, gold] entity counts.</summary>
    public static IReadOnlyList<double[]> SentenceCounts(string predictionsFile)
    {
        var result = new List<double[]>();
        var ignored = new List<string>();
        foreach (var line in File.ReadLines(predictionsFile))
        {
            if (line.Length == 0) continue;
            var node = JsonNode.Parse(line)!;
            var gold = node["gold"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray();
            var pred = node["pred"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray();
            var g = ConllChunker.Extract(new[] { gold }, "y_true", ignored);
            var p = ConllChunker.Extract(new[] { pred }, "y_pred", ignored);
            result.Add(new double[] { g.Intersect(p).Count(), p.Count, g.Count });
        }
        return result;
    }
}
