using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Acclimate.IO;

namespace Acclimate.Experiments;

/// <summary>The paired comparison of a setting with its baseline.</summary>
/// <param name="Seeds">Paired cells behind it (fine-tuning seeds; with a pretraining level, every pretraining run × seed pair).</param>
/// <param name="MeanDifference">Mean over the independent units of setting − baseline.</param>
/// <param name="T">Paired t statistic over the units (null with fewer than two).</param>
/// <param name="P">Raw two-sided p of that t-test.</param>
/// <param name="BootstrapP">Raw two-sided p of a paired bootstrap over test items (a tagger's entity F1 over sentences; a classifier's accuracy or macro-F1 over examples, or over groups), or null.</param>
public sealed record BaselineComparison(int Seeds, double MeanDifference, double? T, double? P, double? BootstrapP)
{
    /// <summary>The setting compared with.</summary>
    public string Baseline { get; init; } = "";
    /// <summary>The evidence: units, interval, raw and corrected p of both tests.</summary>
    public required ComparisonEvidence Evidence { get; init; }
    /// <summary>The verdict from the corrected tests.</summary>
    public Verdict? Verdict { get; init; }
    /// <summary>True when the two settings' mean fine-tuning updates, or pretraining updates, differ by more than 10 %: a compute confound.</summary>
    public bool ComputeDiffers { get; init; }
}

/// <summary>What a setting cost and how its runs ended, summed from its cells' own files.</summary>
/// <param name="LastEpochBest">Cells whose kept checkpoint is their last epoch's (still improving when they stopped).</param>
/// <param name="WithEpochs">Cells whose results record epochs.</param>
/// <param name="FineTuningUpdates">Mean fine-tuning updates per cell, or null.</param>
/// <param name="FineTuningSeconds">Mean wall seconds per fine-tuning cell, or null.</param>
/// <param name="PretrainingUpdates">Mean updates per pretraining run made by the sweep, or null.</param>
/// <param name="PretrainingTokens">Mean token positions per pretraining run, or null.</param>
/// <param name="PretrainingSeconds">Mean wall seconds per pretraining run, or null.</param>
public sealed record SettingCost(int LastEpochBest, int WithEpochs, double? FineTuningUpdates, double? FineTuningSeconds,
    double? PretrainingUpdates, double? PretrainingTokens, double? PretrainingSeconds);

/// <summary>One setting's row: per-cell values and their summary.</summary>
public sealed record LeaderboardRow(string Setting, IReadOnlyList<(string Seed, double Value)> Values, double Mean, double Std, double Min, double Max,
    BaselineComparison? VsBaseline)
{
    /// <summary>Independent pretraining runs the sweep made for this setting (0: it does not pretrain in this sweep).</summary>
    public int PretrainingRuns { get; init; }
    /// <summary>Convergence and compute of the setting's cells.</summary>
    public SettingCost? Cost { get; init; }
}

/// <summary>
/// Mean ± std per setting, and against the baseline: the difference with its 95 % interval, the
/// paired t-test over the independent units (seeds, or pretraining runs when the sweep has that
/// level), the paired bootstrap over test items, both corrected over the leaderboard's family of
/// comparisons, and a verdict in words.
/// </summary>
public static class Leaderboard
{
    /// <summary>Reads the metric of every finished cell and summarizes it per setting.</summary>
    /// <param name="plan">The sweep's cells.</param>
    /// <param name="bootstrapResamples">Resamples of the bootstrap over test items.</param>
    public static IReadOnlyList<LeaderboardRow> Compute(SweepPlan plan, int bootstrapResamples = 1000)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var spec = plan.Spec;
        var values = plan.Cells.Where(SweepRunner.IsFinished)
            .GroupBy(c => c.Setting)
            .ToDictionary(g => g.Key, g => g.Select(c => (Cell: c, Value: ReadDone(spec, c))).ToList());
        // Each setting's cell files are read once here; the comparisons reuse the result.
        var costs = values.Where(v => v.Value.Count > 0).ToDictionary(v => v.Key, v => CostOf(plan, v.Key, v.Value.Select(x => x.Cell).ToList()), StringComparer.Ordinal);
        var rows = new List<LeaderboardRow>();
        foreach (var setting in plan.Settings)
        {
            if (!values.TryGetValue(setting, out var list) || list.Count == 0) continue;
            var (mean, std) = PairedStatistics.MeanStd(list.Select(v => v.Value).ToList());
            BaselineComparison? vs = null;
            var cost = costs[setting];
            if (plan.BaselineOf.TryGetValue(setting, out var partner) && values.TryGetValue(partner, out var baseline) && baseline.Count > 0)
                vs = Compare(plan, setting, list, partner, baseline, bootstrapResamples, cost, costs[partner]);
            rows.Add(new LeaderboardRow(setting, list.Select(v => (v.Cell.UnitLabel, v.Value)).ToList(), mean, std, list.Min(v => v.Value), list.Max(v => v.Value), vs)
            {
                PretrainingRuns = plan.PretrainingRunsOf(setting),
                Cost = cost,
            });
        }
        rows = Decide(plan, rows);
        return spec.GreaterIsBetter ? rows.OrderByDescending(r => r.Mean).ToList() : rows.OrderBy(r => r.Mean).ToList();
    }

    /// <summary>
    /// The paired comparison. Units: fine-tuning seeds when neither side pretrains in this sweep;
    /// otherwise the pretraining runs — each run's differences are averaged over its fine-tuning seeds
    /// first, so that a lucky or unlucky pretraining run counts once, not once per seed.
    /// </summary>
    private static BaselineComparison? Compare(SweepPlan plan, string setting, List<(SweepCell Cell, double Value)> a, string partner, List<(SweepCell Cell, double Value)> b, int resamples, SettingCost costA, SettingCost costB)
    {
        var runsA = plan.PretrainingRunsOf(setting);
        var runsB = plan.PretrainingRunsOf(partner);
        // Cells pair on the fine-tuning seed, and on the pretraining run where both sides have one.
        var pairs = a.SelectMany(x => b.Where(y => y.Cell.Seed == x.Cell.Seed && (runsA == 0 || runsB == 0 || y.Cell.PretrainingRun == x.Cell.PretrainingRun))
            .Select(y => (A: x, B: y))).ToList();
        if (pairs.Count == 0) return null;
        var twoLevel = runsA > 0 || runsB > 0;
        var units = twoLevel
            ? pairs.GroupBy(p => p.A.Cell.PretrainingRun ?? p.B.Cell.PretrainingRun).Select(g => g.Average(p => p.A.Value - p.B.Value)).ToList()
            : pairs.Select(p => p.A.Value - p.B.Value).ToList();
        var unitName = twoLevel ? "pretraining runs" : "seeds";
        var t = PairedStatistics.PairedT(units, units.Select(_ => 0.0).ToList());
        var interval = PairedStatistics.TInterval(units);
        var bootstrap = TestItems.Bootstrap(plan.Spec.Metric, pairs.Select(p => (p.A.Cell.Folder, p.B.Cell.Folder)).ToList(), resamples, plan.Spec.BootstrapGroup);
        string? tooFew = units.Count >= 2 ? null
            : twoLevel ? $"only {units.Count} pretraining run behind the comparison: at least 2 are needed to tell the method from one run's luck"
            : $"only {units.Count} seed";
        var evidence = new ComparisonEvidence(units.Average(), units.Count, unitName, units.Count >= 2 ? PairedStatistics.MeanStd(units).Std : null,
            t?.P, null, interval is { } ci ? (ci.Low, ci.High) : null, bootstrap?.P, null, bootstrap is { } bs ? (bs.Low, bs.High) : null, tooFew);
        return new BaselineComparison(pairs.Count, units.Average(), t?.T, t?.P, bootstrap?.P)
        {
            Baseline = partner,
            Evidence = evidence,
            ComputeDiffers = Differs(costA.FineTuningUpdates, costB.FineTuningUpdates) || Differs(costA.PretrainingUpdates, costB.PretrainingUpdates),
        };
    }

    private static bool Differs(double? a, double? b) => a is { } x && b is { } y && Math.Abs(x - y) > 0.1 * Math.Max(Math.Abs(x), Math.Abs(y));

    /// <summary>Corrects both tests' p-values over the family of comparisons and words each verdict.</summary>
    private static List<LeaderboardRow> Decide(SweepPlan plan, List<LeaderboardRow> rows)
    {
        var spec = plan.Spec;
        var compared = rows.Where(r => r.VsBaseline is not null).ToList();
        var adjusted = MultipleTesting.Adjust(compared.Select(r => r.VsBaseline!.Evidence.TooFewWhy is null ? r.VsBaseline.P : null).ToList(), spec.Correction);
        var adjustedBootstrap = MultipleTesting.Adjust(compared.Select(r => r.VsBaseline!.Evidence.TooFewWhy is null ? r.VsBaseline.BootstrapP : null).ToList(), spec.Correction);
        var family = adjusted.Count(p => p is not null);
        var points = rows.SelectMany(r => r.Values).All(v => v.Value is >= 0 and <= 1);
        var rules = new VerdictRules(spec.GreaterIsBetter, spec.Alpha, spec.Power, family, points, spec.EffectOfInterest, MultipleTesting.Name(spec.Correction));
        var decided = new Dictionary<string, LeaderboardRow>(StringComparer.Ordinal);
        for (var i = 0; i < compared.Count; i++)
        {
            var vs = compared[i].VsBaseline!;
            var evidence = vs.Evidence with { AdjustedP = adjusted[i], AdjustedBootstrapP = adjustedBootstrap[i] };
            decided[compared[i].Setting] = compared[i] with { VsBaseline = vs with { Evidence = evidence, Verdict = Verdict.Decide(evidence, rules) } };
        }
        return rows.Select(r => decided.TryGetValue(r.Setting, out var d) ? d : r).ToList();
    }

    private static SettingCost CostOf(SweepPlan plan, string setting, IReadOnlyList<SweepCell> cells)
    {
        var facts = cells.Where(c => c.Kind == SweepKind.Finetune).Select(c => CellFacts.OfFineTuning(c.Folder)).ToList();
        var pretraining = plan.PretrainingCells.Where(p => cells.Any(c => ReferenceEquals(c.Pretraining, p) || c.Pretraining == p))
            .Where(SweepRunner.IsFinished).Select(p => CellFacts.OfPretraining(p.Folder)).ToList();
        if (plan.Spec.Kind == SweepKind.Pretrain)
            pretraining = cells.Select(c => CellFacts.OfPretraining(c.Folder)).ToList();
        static double? MeanOf(IEnumerable<double?> xs)
        {
            var known = xs.Where(x => x is not null).Select(x => x!.Value).ToList();
            return known.Count == 0 ? null : known.Average();
        }
        return new SettingCost(facts.Count(f => f.BestIsLast == true), facts.Count(f => f.BestIsLast is not null),
            MeanOf(facts.Select(f => (double?)f.Updates)), MeanOf(facts.Select(f => f.Seconds)),
            MeanOf(pretraining.Select(f => (double?)f.Updates)), MeanOf(pretraining.Select(f => (double?)f.Tokens)), MeanOf(pretraining.Select(f => f.Seconds)));
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
    public static IReadOnlyList<string> BootstrapMetrics => TestItems.BootstrapMetrics;

    /// <summary>
    /// The rows as a Markdown leaderboard: the metric and its direction; per setting n, mean ± std and
    /// the per-cell values; against the baseline Δ with its 95 % intervals, raw and corrected p of both
    /// tests and the verdict; then convergence and compute per setting.
    /// </summary>
    public static string ToMarkdown(SweepPlan plan, IReadOnlyList<LeaderboardRow> rows)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(rows);
        var spec = plan.Spec;
        var points = rows.SelectMany(r => r.Values).All(v => v.Value is >= 0 and <= 1);
        var correction = MultipleTesting.Name(spec.Correction);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Leaderboard: {spec.Metric} ({(spec.GreaterIsBetter ? "higher" : "lower")} is better)");
        text.AppendLine();
        var family = rows.Count(r => r.VsBaseline?.Evidence.AdjustedP is not null);
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Sweep `{spec.Source}`, {plan.Cells.Count(SweepRunner.IsFinished)} of {plan.Cells.Count} cells finished") +
                        (plan.PretrainingCells.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({plan.PretrainingCells.Count(SweepRunner.IsFinished)} of {plan.PretrainingCells.Count} pretraining runs)") : "") +
                        ". Mean ± sample std over cells; " +
                        (spec.Baseline is null ? "no baseline named." :
                            string.Create(CultureInfo.InvariantCulture, $"paired tests against `{spec.Baseline}`: a t-test over the independent units (fine-tuning seeds; pretraining runs, each averaged over its seeds, where a setting pretrains in the sweep) with its 95 % t interval, and a paired bootstrap over test items ({(spec.BootstrapGroup is { } g ? $"groups of items with equal `{g.Field}`" : "sentences for entity F1, examples for classification")}; 1,000 resamples) with its 95 % percentile interval. ") +
                            string.Create(CultureInfo.InvariantCulture, $"p-values are corrected over the {family} comparison{(family == 1 ? "" : "s")} of this leaderboard ({correction}); a gain or loss needs both corrected p below {spec.Alpha} (the bootstrap's where predictions exist). ") +
                            string.Create(CultureInfo.InvariantCulture, $"The detectable effect is the difference a paired t-test at α = {spec.Alpha}/{Math.Max(1, family)} would find with {spec.Power:P0} power given the observed spread of the units. ") +
                            "An encoder made outside this sweep counts as one pretraining run: a verdict on it speaks for that encoder, not for the method that made it (give the sweep `pretraining_runs` and `pretrain.recipe` to test the method)."));
        text.AppendLine();
        text.AppendLine("| setting | pretraining runs | n | mean ± std | min | max | per cell | Δ vs baseline (95 % CI) | p (t) | p (t, corrected) | bootstrap Δ 95 % CI | p (bootstrap) | p (bootstrap, corrected) | verdict |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var vs = r.VsBaseline;
            var e = vs?.Evidence;
            var delta = vs is null ? (plan.BaselineOf.ContainsKey(r.Setting) ? "—" : spec.Baseline is null ? "—" : "baseline")
                : $"{vs.MeanDifference.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture)} vs {vs.Baseline}" +
                  (e!.Interval is { } ci ? string.Create(CultureInfo.InvariantCulture, $" ({ci.Low:+0.0000;-0.0000} to {ci.High:+0.0000;-0.0000})") : "");
            var boot = e?.BootstrapInterval is { } bi ? string.Create(CultureInfo.InvariantCulture, $"{bi.Low:+0.0000;-0.0000} to {bi.High:+0.0000;-0.0000}") : "—";
            var verdict = vs?.Verdict is { } v ? v.Short(points) + (vs.ComputeDiffers ? "; compute differs" : "") : "";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Setting} | {(r.PretrainingRuns == 0 ? "—" : r.PretrainingRuns.ToString(CultureInfo.InvariantCulture))} | {r.Values.Count} | {r.Mean:F4} ± {r.Std:F4} | {r.Min:F4} | {r.Max:F4} | {string.Join(", ", r.Values.Select(x => $"{x.Seed}: {x.Value:F4}"))} | " +
                $"{delta} | {Verdict.FormatP(vs?.P)} | {Verdict.FormatP(e?.AdjustedP)} | {boot} | {Verdict.FormatP(vs?.BootstrapP)} | {Verdict.FormatP(e?.AdjustedBootstrapP)} | {verdict} |"));
        }
        var verdicts = rows.Where(r => r.VsBaseline?.Verdict is not null).ToList();
        if (verdicts.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("**Verdicts.**");
            text.AppendLine();
            foreach (var r in verdicts)
            {
                var unconverged = new[] { r, rows.FirstOrDefault(x => x.Setting == r.VsBaseline!.Baseline) }
                    .Where(x => x?.Cost is { WithEpochs: > 0 } c && c.LastEpochBest * 2 > c.WithEpochs).Select(x => x!).ToList();
                text.AppendLine($"- **{r.Setting}** vs {r.VsBaseline!.Baseline}: {r.VsBaseline.Verdict!.Words}" +
                    (r.VsBaseline.ComputeDiffers ? " The two settings did not get the same compute (see below): a difference may be the budget, not the method." : "") +
                    (unconverged.Count > 0 ? $" Most cells of {string.Join(" and ", unconverged.Select(x => x.Setting))} were still improving at their last epoch: a difference may be one of speed, not of the end point." : ""));
            }
        }
        if (rows.Any(r => r.Cost is not null))
        {
            text.AppendLine();
            text.AppendLine("**Convergence and compute** (means per cell; a run whose best dev epoch is its last was still improving when it stopped):");
            text.AppendLine();
            text.AppendLine("| setting | best epoch = last | fine-tuning updates | fine-tuning min | pretraining runs | pretraining updates | pretraining tokens | pretraining min |");
            text.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var r in rows)
            {
                var c = r.Cost!;
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Setting} | {(c.WithEpochs == 0 ? "—" : $"{c.LastEpochBest} of {c.WithEpochs}")} | {Number(c.FineTuningUpdates)} | {Minutes(c.FineTuningSeconds)} | {(r.PretrainingRuns == 0 ? "—" : r.PretrainingRuns.ToString(CultureInfo.InvariantCulture))} | {Number(c.PretrainingUpdates)} | {Number(c.PretrainingTokens)} | {Minutes(c.PretrainingSeconds)} |"));
            }
        }
        return text.ToString();
    }

    private static string Number(double? x) => x is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "—";
    private static string Minutes(double? seconds) => seconds is { } s ? (s / 60).ToString("F1", CultureInfo.InvariantCulture) : "—";

    /// <summary>The rows as CSV (one line per setting, invariant culture).</summary>
    public static string ToCsv(IReadOnlyList<LeaderboardRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder("setting,pretraining_runs,n,mean,std,min,max,values,baseline,delta_vs_baseline,units,unit,ci_low,ci_high,t,p_t,p_t_corrected,bootstrap_ci_low,bootstrap_ci_high,p_bootstrap,p_bootstrap_corrected,verdict,detectable_effect,units_to_detect,compute_differs,last_epoch_best,cells_with_epochs,finetuning_updates,finetuning_seconds,pretraining_updates,pretraining_tokens,pretraining_seconds\n");
        static string R(double? x) => x?.ToString("R", CultureInfo.InvariantCulture) ?? "";
        static string Q(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
        foreach (var r in rows)
        {
            var vs = r.VsBaseline;
            var e = vs?.Evidence;
            var c = r.Cost;
            text.AppendLine(string.Join(",", new[]
            {
                Q(r.Setting), r.PretrainingRuns.ToString(CultureInfo.InvariantCulture), r.Values.Count.ToString(CultureInfo.InvariantCulture), R(r.Mean), R(r.Std), R(r.Min), R(r.Max),
                Q(string.Join(";", r.Values.Select(v => $"{v.Seed}={v.Value.ToString("R", CultureInfo.InvariantCulture)}"))),
                vs is null ? "" : Q(vs.Baseline), R(vs?.MeanDifference), e?.Units.ToString(CultureInfo.InvariantCulture) ?? "", e?.UnitName ?? "",
                R(e?.Interval?.Low), R(e?.Interval?.High), R(vs?.T), R(vs?.P), R(e?.AdjustedP), R(e?.BootstrapInterval?.Low), R(e?.BootstrapInterval?.High), R(vs?.BootstrapP), R(e?.AdjustedBootstrapP),
                vs?.Verdict is { } v ? v.Kind.ToString() : "", R(vs?.Verdict?.MinimumDetectableEffect), vs?.Verdict?.UnitsToDetect?.ToString(CultureInfo.InvariantCulture) ?? "", vs is null ? "" : vs.ComputeDiffers ? "true" : "false",
                c?.LastEpochBest.ToString(CultureInfo.InvariantCulture) ?? "", c?.WithEpochs.ToString(CultureInfo.InvariantCulture) ?? "", R(c?.FineTuningUpdates), R(c?.FineTuningSeconds), R(c?.PretrainingUpdates), R(c?.PretrainingTokens), R(c?.PretrainingSeconds),
            }));
        }
        return text.ToString();
    }

    /// <summary>
    /// Writes <paramref name="name"/>.md and .csv (default leaderboard.md / leaderboard.csv) into the
    /// sweep's output folder.
    /// </summary>
    public static void Write(SweepPlan plan, IReadOnlyList<LeaderboardRow> rows, string name = "leaderboard")
    {
        ArgumentNullException.ThrowIfNull(plan);
        Directory.CreateDirectory(plan.Spec.Output);
        AtomicFile.WriteAllText(Path.Combine(plan.Spec.Output, name + ".md"), ToMarkdown(plan, rows));
        AtomicFile.WriteAllText(Path.Combine(plan.Spec.Output, name + ".csv"), ToCsv(rows));
    }
}
