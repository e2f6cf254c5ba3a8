namespace Acclimate.Experiments;

/// <summary>Summary statistics and the paired tests the leaderboard reports.</summary>
public static class PairedStatistics
{
    /// <summary>Sample mean and standard deviation (n − 1 in the denominator; 0 for one value).</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return (double.NaN, double.NaN);
        var mean = values.Average();
        var std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, std);
    }

    /// <summary>
    /// Paired t-test of <paramref name="a"/> − <paramref name="b"/> (same seeds): mean difference, t,
    /// degrees of freedom and the two-sided p-value from Student's t distribution. Null with fewer than
    /// two pairs; p is 0 or 1 when the differences are all equal (no spread).
    /// </summary>
    public static (double MeanDifference, double T, int DegreesOfFreedom, double P)? PairedT(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"paired samples need equal sizes ({a.Count} vs {b.Count}).");
        if (a.Count < 2) return null;
        var d = a.Zip(b, (x, y) => x - y).ToList();
        var (mean, std) = MeanStd(d);
        var df = d.Count - 1;
        if (std == 0) return (mean, mean == 0 ? 0 : double.PositiveInfinity * Math.Sign(mean), df, mean == 0 ? 1 : 0);
        var t = mean / (std / Math.Sqrt(d.Count));
        return (mean, t, df, StudentTwoSidedP(t, df));
    }

    /// <summary>P(|T| ≥ |t|) for Student's t with <paramref name="df"/> degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).</summary>
    public static double StudentTwoSidedP(double t, int df) =>
        RegularizedIncompleteBeta(df / (df + t * t), df / 2.0, 0.5);

    /// <summary>I_x(a, b) by its continued fraction (modified Lentz), using the symmetry relation where it converges faster.</summary>
    public static double RegularizedIncompleteBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(x, a, b) / a
            : 1 - front * BetaContinuedFraction(1 - x, b, a) / b;
    }

    private static double BetaContinuedFraction(double x, double a, double b)
    {
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= 300; m++)
        {
            // Even step, then odd step of the continued fraction for I_x(a, b).
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15) break;
        }
        return h;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos approximation, g = 7, n = 9; about 15 digits).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        x -= 1;
        double[] g = { 0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7 };
        var sum = g[0];
        for (var i = 1; i < g.Length; i++) sum += g[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>
    /// Paired bootstrap over test items for a ratio metric such as entity F1: each item contributes
    /// counts (e.g. correct, predicted, gold entities) under both systems and for every paired seed;
    /// resampling items with replacement, the statistic is the mean over seeds of metric(A) − metric(B).
    /// Returns the observed difference, the two-sided p-value (twice the share of resamples on the
    /// other side of zero, capped at 1) and the percentile interval at <paramref name="level"/>.
    /// With <paramref name="groups"/> (a group id per item) whole groups are resampled instead of
    /// items — the cluster bootstrap, for test sets whose items are not independent (several
    /// relation pairs of one sentence, several sentences of one document).
    /// </summary>
    public static BootstrapResult PairedBootstrap(
        IReadOnlyList<(IReadOnlyList<double[]> A, IReadOnlyList<double[]> B)> seeds, Func<double[], double> metric, int resamples = 1000, int seed = 0,
        IReadOnlyList<int>? groups = null, double level = 0.95)
    {
        if (seeds.Count == 0) throw new ArgumentException("the bootstrap needs at least one paired seed.");
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), "the bootstrap needs at least one resample.");
        var items = seeds[0].A.Count;
        if (seeds.Any(s => s.A.Count != items || s.B.Count != items))
            throw new ArgumentException("every paired seed must score the same test items.");
        if (groups is not null && groups.Count != items)
            throw new ArgumentException($"the bootstrap groups name {groups.Count} items, the predictions hold {items}.");
        // Per seed and side, the counts summed within each resampling unit (an item, or a group).
        var units = groups is null ? Enumerable.Range(0, items).Select(i => new[] { i }).ToArray()
            : Enumerable.Range(0, items).GroupBy(i => groups[i]).Select(g => g.ToArray()).ToArray();
        double[][] UnitSums(IReadOnlyList<double[]> counts) => units.Select(u => Sum(counts, u)).ToArray();
        var summed = seeds.Select(s => (A: UnitSums(s.A), B: UnitSums(s.B))).ToList();
        double Statistic(int[] sample) => summed.Average(s => metric(Sum(s.A, sample)) - metric(Sum(s.B, sample)));
        var observed = Statistic(Enumerable.Range(0, units.Length).ToArray());
        var random = new Random(seed);
        var below = 0;
        var above = 0;
        var draw = new int[units.Length];
        var values = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < draw.Length; i++) draw[i] = random.Next(units.Length);
            var value = Statistic(draw);
            values[r] = value;
            if (value <= 0) below++;
            if (value >= 0) above++;
        }
        var p = Math.Min(1, 2.0 * Math.Min(below, above) / resamples);
        Array.Sort(values);
        return new BootstrapResult(observed, p, Percentile(values, (1 - level) / 2), Percentile(values, (1 + level) / 2), units.Length);
    }

    /// <summary>The <paramref name="q"/>-quantile of sorted values, interpolating linearly between order statistics (numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        var position = q * (sorted.Count - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }

    /// <summary>
    /// The <paramref name="probability"/>-quantile of Student's t with <paramref name="df"/> degrees of
    /// freedom (t with P(T ≤ t) = probability), by bisection on <see cref="StudentTwoSidedP"/>.
    /// </summary>
    public static double StudentQuantile(double probability, int df)
    {
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df), "Student's t needs at least one degree of freedom.");
        if (!(probability > 0 && probability < 1)) throw new ArgumentOutOfRangeException(nameof(probability), "the probability must lie strictly between 0 and 1.");
        if (probability == 0.5) return 0;
        var upper = Math.Max(probability, 1 - probability);
        var twoSided = 2 * (1 - upper);
        double low = 0, high = 1;
        while (StudentTwoSidedP(high, df) > twoSided) high *= 2;
        for (var i = 0; i < 200 && high - low > 1e-13 * high; i++)
        {
            var mid = (low + high) / 2;
            if (StudentTwoSidedP(mid, df) > twoSided) low = mid; else high = mid;
        }
        var t = (low + high) / 2;
        return probability > 0.5 ? t : -t;
    }

    /// <summary>
    /// The t interval of the mean of <paramref name="values"/> (paired differences, one per unit):
    /// mean ± t₍(1+level)/2, n−1₎ · s/√n. Null with fewer than two values.
    /// </summary>
    public static (double Mean, double Low, double High)? TInterval(IReadOnlyList<double> values, double level = 0.95)
    {
        if (values.Count < 2) return null;
        var (mean, std) = MeanStd(values);
        var half = StudentQuantile((1 + level) / 2, values.Count - 1) * std / Math.Sqrt(values.Count);
        return (mean, mean - half, mean + half);
    }

    /// <summary>
    /// The minimum detectable effect of a two-sided paired t-test over <paramref name="n"/> units whose
    /// differences have standard deviation <paramref name="std"/>: (t₍1−α/2, n−1₎ + t₍power, n−1₎)·s/√n,
    /// the usual closed form (a central-t approximation of the noncentral t). Null below two units.
    /// </summary>
    public static double? MinimumDetectableEffect(double std, int n, double alpha, double power = 0.8)
    {
        if (n < 2 || double.IsNaN(std)) return null;
        return (StudentQuantile(1 - alpha / 2, n - 1) + StudentQuantile(power, n - 1)) * std / Math.Sqrt(n);
    }

    /// <summary>
    /// The fewest units (seeds, or pretraining runs) whose <see cref="MinimumDetectableEffect"/> is at
    /// most |<paramref name="effect"/>| with the same spread; null when the effect is zero or more than
    /// <paramref name="limit"/> units would be needed.
    /// </summary>
    public static int? UnitsToDetect(double std, double effect, double alpha, double power = 0.8, int limit = 1000)
    {
        if (effect == 0 || double.IsNaN(std) || double.IsNaN(effect)) return null;
        for (var n = 2; n <= limit; n++)
            if (MinimumDetectableEffect(std, n, alpha, power) <= Math.Abs(effect)) return n;
        return null;
    }

    private static double[] Sum(IReadOnlyList<double[]> counts, int[] sample)
    {
        var total = new double[counts.Count == 0 ? 0 : counts[0].Length];
        foreach (var i in sample)
            for (var k = 0; k < total.Length; k++) total[k] += counts[i][k];
        return total;
    }
}

/// <summary>A paired bootstrap's answer.</summary>
/// <param name="Observed">The statistic on the test set as it is.</param>
/// <param name="P">Two-sided p: twice the share of resamples on the far side of zero, at most 1.</param>
/// <param name="Low">Lower end of the percentile interval.</param>
/// <param name="High">Upper end of the percentile interval.</param>
/// <param name="Units">What was resampled: the number of items, or of groups.</param>
public sealed record BootstrapResult(double Observed, double P, double Low, double High, int Units);
