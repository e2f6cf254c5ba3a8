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
/// <param name="BootstrapP">Two-sided p of a paired bootstrap over test sentences (entity F1 only), or null.</param>
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
            .ToDictionary(g => g.Key, g => g.Select(c => (c.Seed, Value: ReadDone(c), Cell: c)).ToList());
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
                    var bootstrap = spec.Metric == "test.f1" ? EntityF1Bootstrap(pairs.Select(p => (p.x.Cell.Folder, p.y.Cell.Folder)).ToList(), bootstrapResamples) : null;
                    vs = new BaselineComparison(pairs.Count, pairs.Average(p => p.x.Value - p.y.Value), t?.T, t?.P, bootstrap);
                }
            }
            rows.Add(new LeaderboardRow(setting, list.Select(v => (v.Seed, v.Value)).ToList(), mean, std, list.Min(v => v.Value), list.Max(v => v.Value), vs));
        }
        return spec.GreaterIsBetter ? rows.OrderByDescending(r => r.Mean).ToList() : rows.OrderBy(r => r.Mean).ToList();
    }

    private static double ReadDone(SweepCell cell) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(cell.Folder, SweepRunner.DoneFile)))!["value"]!.GetValue<double>();

    /// <summary>
    /// Paired bootstrap over test sentences of entity F1 (seqeval's default chunking), from each
    /// cell's predictions-test.jsonl; null when any of the files is missing.
    /// </summary>
    private static double? EntityF1Bootstrap(IReadOnlyList<(string Setting, string Baseline)> folders, int resamples)
    {
        var seeds = new List<(IReadOnlyList<double[]>, IReadOnlyList<double[]>)>();
        foreach (var (a, b) in folders)
        {
            var pa = Path.Combine(a, "predictions-test.jsonl");
            var pb = Path.Combine(b, "predictions-test.jsonl");
            if (!File.Exists(pa) || !File.Exists(pb)) return null;
            var ca = SentenceCounts(pa);
            var cb = SentenceCounts(pb);
            if (ca.Count != cb.Count) return null;
            seeds.Add((ca, cb));
        }
        static double F1(double[] c) => c[1] + c[2] == 0 ? 0 : 2 * c[0] / (c[1] + c[2]);
        return PairedStatistics.PairedBootstrap(seeds, F1, resamples).P;
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
                                                      (spec.Baseline is null ? "no baseline named." : $"paired tests against `{spec.Baseline}`: t-test over seeds, and a paired bootstrap over test sentences (1,000 resamples) where predictions exist."));
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
