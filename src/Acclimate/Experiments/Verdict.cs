using System.Globalization;

namespace Acclimate.Experiments;

/// <summary>What a comparison lets a reader conclude.</summary>
public enum VerdictKind
{
    /// <summary>Better than the baseline after the family-wise correction, on every test that applies.</summary>
    Gain,
    /// <summary>Worse than the baseline after the family-wise correction, on every test that applies.</summary>
    Loss,
    /// <summary>No corrected test separates the two; the verdict says how large an effect would have shown.</summary>
    NoDetectableDifference,
    /// <summary>Too few independent units to test (one seed, or one pretraining run of an adapted arm).</summary>
    NotTestable,
}

/// <summary>
/// The evidence behind one comparison of a setting with its baseline, in metric units (differences
/// are setting − baseline): the unit-level paired t-test (fine-tuning seeds, or independent
/// pretraining runs when the design has that level), its interval, and the paired bootstrap over
/// test items, each with its raw and family-wise corrected p.
/// </summary>
/// <param name="Difference">Mean difference over the units.</param>
/// <param name="Units">Independent units behind the test.</param>
/// <param name="UnitName">"seeds" or "pretraining runs".</param>
/// <param name="UnitStd">Standard deviation of the per-unit differences (null with one unit).</param>
/// <param name="P">Raw two-sided p of the unit-level paired t-test.</param>
/// <param name="AdjustedP">That p corrected over the family.</param>
/// <param name="Interval">95 % t interval of the difference.</param>
/// <param name="BootstrapP">Raw p of the paired bootstrap over test items, when predictions exist.</param>
/// <param name="AdjustedBootstrapP">That p corrected over the family.</param>
/// <param name="BootstrapInterval">Percentile interval of the bootstrap.</param>
/// <param name="TooFewWhy">Why the comparison cannot be tested (null when it can).</param>
public sealed record ComparisonEvidence(
    double Difference, int Units, string UnitName, double? UnitStd,
    double? P, double? AdjustedP, (double Low, double High)? Interval,
    double? BootstrapP, double? AdjustedBootstrapP, (double Low, double High)? BootstrapInterval,
    string? TooFewWhy = null);

/// <summary>How the verdict is decided and worded.</summary>
/// <param name="GreaterIsBetter">Direction of the metric.</param>
/// <param name="Alpha">Family-wise level (0.05).</param>
/// <param name="Power">Power of the minimum detectable effect (0.8).</param>
/// <param name="FamilySize">Comparisons in the family: the minimum detectable effect is computed at α / FamilySize, the threshold the correction asks of the strongest comparison.</param>
/// <param name="Points">True when the metric is a proportion (F1, accuracy) shown as points (× 100).</param>
/// <param name="EffectOfInterest">An effect (metric units) whose required number of units is stated; null: the observed difference.</param>
/// <param name="CorrectionName">Name of the correction, for the words.</param>
public sealed record VerdictRules(bool GreaterIsBetter, double Alpha, double Power, int FamilySize, bool Points, double? EffectOfInterest, string CorrectionName);

/// <summary>A comparison's verdict: its kind, the minimum detectable effect and the words a report prints.</summary>
/// <param name="Kind">Gain, loss, no detectable difference, or not testable.</param>
/// <param name="MinimumDetectableEffect">The smallest effect (metric units) this design would have detected with the rules' power at α / family size; null below two units.</param>
/// <param name="UnitsToDetect">Units that would detect the effect of interest (or the observed difference) with the same spread; null when not computable or above 1,000.</param>
/// <param name="Words">The sentence a leaderboard or report prints.</param>
public sealed record Verdict(VerdictKind Kind, double? MinimumDetectableEffect, int? UnitsToDetect, string Words)
{
    /// <summary>Short form for a table cell: "gain", "loss", "no detectable difference (±X)", "not testable".</summary>
    public string Short(bool points) => Kind switch
    {
        VerdictKind.Gain => "gain",
        VerdictKind.Loss => "loss",
        VerdictKind.NotTestable => "not testable",
        _ => MinimumDetectableEffect is { } mde ? $"no detectable difference (±{Amount(mde, points)})" : "no detectable difference",
    };

    /// <summary>
    /// Decides from the corrected tests: a gain (or loss) needs the unit-level test and, where
    /// predictions allow it, the bootstrap over test items to stay below α after correction, with the
    /// difference in the better (or worse) direction; anything less is "no detectable difference",
    /// stated with the effect this design could have detected.
    /// </summary>
    public static Verdict Decide(ComparisonEvidence e, VerdictRules rules)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(rules);
        var delta = Amount(e.Difference, rules.Points, signed: true);
        var alphaEach = rules.Alpha / Math.Max(1, rules.FamilySize);
        var mde = e.UnitStd is { } sd and > 0 ? PairedStatistics.MinimumDetectableEffect(sd, e.Units, alphaEach, rules.Power) : null;
        var target = rules.EffectOfInterest ?? e.Difference;
        var needed = e.UnitStd is { } s2 and > 0 ? PairedStatistics.UnitsToDetect(s2, target, alphaEach, rules.Power) : null;
        var interval = e.Interval is { } ci ? $" (95 % CI {Amount(ci.Low, rules.Points, true, unit: false)} to {Amount(ci.High, rules.Points, true)})" : "";
        if (e.TooFewWhy is not null || e.AdjustedP is null)
            return new Verdict(VerdictKind.NotTestable, mde, needed,
                $"not testable: {delta}{interval}, {e.TooFewWhy ?? $"{e.Units} {e.UnitName}"}.");

        var byUnits = e.AdjustedP < rules.Alpha;
        var byItems = e.AdjustedBootstrapP is null || e.AdjustedBootstrapP < rules.Alpha;
        var better = rules.GreaterIsBetter ? e.Difference > 0 : e.Difference < 0;
        var tests = $"{rules.CorrectionName} p {FormatP(e.AdjustedP)} over {e.Units} {e.UnitName}" +
                    (e.AdjustedBootstrapP is { } bp ? $", bootstrap over test items {FormatP(bp)}" : "");
        if (byUnits && byItems && e.Difference != 0)
            return new Verdict(better ? VerdictKind.Gain : VerdictKind.Loss, mde, needed, $"{(better ? "gain" : "loss")}: {delta}{interval}; {tests}.");

        var why = byUnits ? "consistent over the units but within the noise of the test items" : byItems && e.AdjustedBootstrapP is not null ? "beyond the noise of the test items but not over the units" : "within noise";
        var detectable = e.UnitStd == 0 ? $"; the {e.UnitName} gave identical differences, so their spread cannot say how large an effect would have shown"
            : mde is { } m ? $"; an effect of ±{Amount(m, rules.Points)} would have been detected at n = {e.Units} {e.UnitName} ({rules.Power:P0} power)" : "";
        var toDetect = needed is { } n && n > e.Units
            ? $"; about {n} {e.UnitName} would detect ±{Amount(Math.Abs(target), rules.Points)}"
            : needed is null && target != 0 && e.UnitStd is > 0 ? $"; more than 1,000 {e.UnitName} would be needed for ±{Amount(Math.Abs(target), rules.Points)}" : "";
        return new Verdict(VerdictKind.NoDetectableDifference, mde, needed, $"no detectable difference: {delta}{interval}, {why} ({tests}){detectable}{toDetect}.");
    }

    /// <summary>A p-value as tables print it: three decimals, "&lt; 0.001" below that.</summary>
    public static string FormatP(double? p) => p is null ? "—" : p < 0.001 ? "< 0.001" : p.Value.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>An amount in points (× 100, two decimals) for proportions, else four significant decimals.</summary>
    public static string Amount(double value, bool points, bool signed = false, bool unit = true)
    {
        var v = points ? value * 100 : value;
        var format = points ? (signed ? "+0.00;−0.00;0.00" : "0.00") : (signed ? "+0.0000;−0.0000;0.0000" : "0.0000");
        return v.ToString(format, CultureInfo.InvariantCulture) + (points && unit ? " points" : "");
    }
}
