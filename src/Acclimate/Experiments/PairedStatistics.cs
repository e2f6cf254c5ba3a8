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
    /// Returns the observed difference and the two-sided p-value (twice the share of resamples on the
    /// other side of zero, capped at 1).
    /// </summary>
    public static (double Observed, double P) PairedBootstrap(
        IReadOnlyList<(IReadOnlyList<double[]> A, IReadOnlyList<double[]> B)> seeds, Func<double[], double> metric, int resamples = 1000, int seed = 0)
    {
        if (seeds.Count == 0) throw new ArgumentException("the bootstrap needs at least one paired seed.");
        var items = seeds[0].A.Count;
        if (seeds.Any(s => s.A.Count != items || s.B.Count != items))
            throw new ArgumentException("every paired seed must score the same test items.");
        double Statistic(int[] sample) => seeds.Average(s => metric(Sum(s.A, sample)) - metric(Sum(s.B, sample)));
        var all = Enumerable.Range(0, items).ToArray();
        var observed = Statistic(all);
        var random = new Random(seed);
        var below = 0;
        var above = 0;
        var draw = new int[items];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < items; i++) draw[i] = random.Next(items);
            var value = Statistic(draw);
            if (value <= 0) below++;
            if (value >= 0) above++;
        }
        var p = Math.Min(1, 2.0 * Math.Min(below, above) / resamples);
        return (observed, p);
    }

    private static double[] Sum(IReadOnlyList<double[]> counts, int[] sample)
    {
        var total = new double[counts[0].Length];
        foreach (var i in sample)
            for (var k = 0; k < total.Length; k++) total[k] += counts[i][k];
        return total;
    }
}
