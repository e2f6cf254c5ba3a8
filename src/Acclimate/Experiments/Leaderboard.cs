using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Evaluation;
using Acclimate.IO;

namespace Acclimate.Experiments;

/// <summary>The paired comparison of a setting with the baseline.</summary>
/// <param name="Seeds">Seeds both have finished.</param>
/// <param name="MeanDifference">Mean over those seeds of setting − baseline.</param>
/// <param name="T">Paired t statistic (null with fewer than two seeds).</param>
/// <param name="P">Two-sided p of the paired t-test over seeds.</param>
/// <param name="BootstrapP">Two-sided p of a paired bootstrap over test items (a tagger's entity F1 over sentences; a classifier's accuracy or macro-F1 over examples), or null.</param>
public sealed record BaselineComparison(int Seeds, double MeanDifference, double? T, double? P, double? BootstrapP);

/// <summary>One setting's row: per-seed values and their summary.</summary>
public sealed record LeaderboardRow(string Setting, IReadOnlyList<(string Seed, double Value)> Values, double Mean, double Std, double Min, double Max,
    BaselineComparison? VsBaseline);

/// <summary>Mean ± std per setting over seeds, and paired tests against the baseline, from the finished cells.</summary>
public static class Leaderboard
{
    /// <summary>Reads the metric of every finished cell and summarizes it per setting.</summary>
    /// <param name="plan">The sweep's cells.</param>
    /// <param name="bootstrapResamples">Resamples for the bootstrap confidence intervals.</param>
    public static IReadOnlyList<LeaderboardRow> Compute(SweepPlan plan, int bootstrapResamples = 1000)
    {
        var spec = plan.Spec;
        var values = plan.Cells.Where(SweepRunner.IsFinished)
            .GroupBy(c => c.Setting)
            .ToDictionary(g => g.Key, g => g.Select(c => (c.Seed, Value: ReadDone(spec, c), Cell: c)).ToList());
        var rows = new List<LeaderboardRow>();
        foreach (var setting in plan.Settings)
        {
            if (!values.TryGetValue(setting, out var list) || list.Count == 0) continue;
            var (mean, std) = PairedStatistics.MeanStd(list.Select(v => v.Value).ToList());
            BaselineComparison? vs = null;
            if (plan.BaselineOf.TryGetValue(setting, out var partner) && values.TryGetValue(partner, out var baseline))
            {
                var pairs = list.Join(baseline, x => x.Seed, y => y.Seed, (x, y) => (x, y)).ToList();
                if (pairs.Count > 0)
                {
                    var t = PairedStatistics.PairedT(pairs.Select(p => p.x.Value).ToList(), pairs.Select(p => p.y.Value).ToList());
                    var bootstrap = TestItemBootstrap(spec.Metric, pairs.Select(p => (p.x.Cell.Folder, p.y.Cell.Folder)).ToList(), bootstrapResamples);
                    vs = new BaselineComparison(pairs.Count, pairs.Average(p => p.x.Value - p.y.Value), t?.T, t?.P, bootstrap);
                }
            }
            rows.Add(new LeaderboardRow(setting, list.Select(v => (v.Seed, v.Value)).ToList(), mean, std, list.Min(v => v.Value), list.Max(v => v.Value), vs));
        }
        return spec.GreaterIsBetter ? rows.OrderByDescending(r => r.Mean).ToList() : rows.OrderBy(r => r.Mean).ToList();
    }

    /// <summary>
    /// The cell's value of the spec's metric: the one <see cref="SweepRunner.DoneFile"/> recorded when
    /// it is that metric, else read from the cell's metric file (<c>--report --metric</c>).
    /// </summary>
    private static double ReadDone(SweepSpec spec, SweepCell cell)
    {
        var done = JsonNode.Parse(File.ReadAllText(Path.Combine(cell.Folder, SweepRunner.DoneFile)))!;
        return done["metric"]?.GetValue<string>() == spec.Metric ? done["value"]!.GetValue<double>() : SweepRunner.ReadMetric(spec, cell.Folder);
    }

    /// <summary>The metrics the paired bootstrap over test items can recompute from predictions-test.jsonl.</summary>
    public static readonly IReadOnlyList<string> BootstrapMetrics = new[] { "test.f1", "test.accuracy", "test.macro_f1" };

    /// <summary>
    /// Paired bootstrap over test items of <paramref name="metric"/>, from each cell's
    /// predictions-test.jsonl: entity F1 (seqeval's default chunking) over sentences for a tagger's
    /// <c>test.f1</c>; accuracy or macro-F1 over examples for a classifier's <c>test.accuracy</c> /
    /// <c>test.macro_f1</c>. Null for other metrics, when a file is missing, or when the files do
    /// not hold what the metric needs (a tagger's predictions for accuracy, say).
    /// </summary>
    private static double? TestItemBootstrap(string metric, IReadOnlyList<(string Setting, string Baseline)> folders, int resamples)
    {
        if (!BootstrapMetrics.Contains(metric)) return null;
        var files = folders.Select(f => (A: Path.Combine(f.Setting, "predictions-test.jsonl"), B: Path.Combine(f.Baseline, "predictions-test.jsonl"))).ToList();
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
        return PairedStatistics.PairedBootstrap(seeds, statistic, resamples).P;
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

    /// <summary>Per sentence: [correct, predicted, gold] entity counts.</summary>
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

    /// <summary>The rows as a Markdown leaderboard: the metric and its direction, mean ± std per setting, and the paired tests against the baseline.</summary>
    public static string ToMarkdown(SweepPlan plan, IReadOnlyList<LeaderboardRow> rows)
    {
        var spec = plan.Spec;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Leaderboard: {spec.Metric} ({(spec.GreaterIsBetter ? "higher" : "lower")} is better)");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Sweep `{spec.Source}`, {plan.Cells.Count(SweepRunner.IsFinished)} of {plan.Cells.Count} cells finished. Mean ± sample std over seeds; ") +
                                                      (spec.Baseline is null ? "no baseline named." : $"paired tests against `{spec.Baseline}`: t-test over seeds, and a paired bootstrap over test items (sentences for entity F1, examples for classification; 1,000 resamples) where predictions exist."));
        text.AppendLine();
        text.AppendLine("| setting | n | mean ± std | min | max | per seed | Δ vs baseline | p (t, seeds) | p (bootstrap) |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var vs = r.VsBaseline;
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Setting} | {r.Values.Count} | {r.Mean:F4} ± {r.Std:F4} | {r.Min:F4} | {r.Max:F4} | {string.Join(", ", r.Values.Select(v => $"{v.Seed}: {v.Value:F4}"))} | " +
                $"{(vs is null ? (plan.BaselineOf.ContainsKey(r.Setting) ? "—" : spec.Baseline is null ? "—" : "baseline") : $"{vs.MeanDifference:+0.0000;-0.0000} vs {plan.BaselineOf[r.Setting]}")} | {Format(vs?.P)} | {Format(vs?.BootstrapP)} |"));
        }
        return text.ToString();
    }

    /// <summary>The rows as CSV (one line per setting, invariant culture).</summary>
    public static string ToCsv(IReadOnlyList<LeaderboardRow> rows)
    {
        var text = new StringBuilder("setting,n,mean,std,min,max,values,delta_vs_baseline,t,p_t,p_bootstrap\n");
        foreach (var r in rows)
        {
            var vs = r.VsBaseline;
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"\"{r.Setting.Replace("\"", "\"\"")}\",{r.Values.Count},{r.Mean:R},{r.Std:R},{r.Min:R},{r.Max:R},\"{string.Join(";", r.Values.Select(v => $"{v.Seed}={v.Value:R}"))}\"," +
                $"{vs?.MeanDifference.ToString("R", CultureInfo.InvariantCulture)},{vs?.T?.ToString("R", CultureInfo.InvariantCulture)},{vs?.P?.ToString("R", CultureInfo.InvariantCulture)},{vs?.BootstrapP?.ToString("R", CultureInfo.InvariantCulture)}"));
        }
        return text.ToString();
    }

    /// <summary>
    /// Writes <paramref name="name"/>.md and .csv (default leaderboard.md / leaderboard.csv) into the
    /// sweep's output folder.
    /// </summary>
    public static void Write(SweepPlan plan, IReadOnlyList<LeaderboardRow> rows, string name = "leaderboard")
    {
        Directory.CreateDirectory(plan.Spec.Output);
        AtomicFile.WriteAllText(Path.Combine(plan.Spec.Output, name + ".md"), ToMarkdown(plan, rows));
        AtomicFile.WriteAllText(Path.Combine(plan.Spec.Output, name + ".csv"), ToCsv(rows));
    }

    private static string Format(double? p) => p is null ? "—" : p < 0.001 ? "< 0.001" : p.Value.ToString("F3", CultureInfo.InvariantCulture);
}
