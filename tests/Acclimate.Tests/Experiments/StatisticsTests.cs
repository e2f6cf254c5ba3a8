using Acclimate.Experiments;

namespace Acclimate.Tests.Experiments;

public sealed class StatisticsTests
{
    [Fact]
    public void HolmAndBenjaminiHochbergMatchHandComputedAdjustments()
    {
        // Four p-values (one comparison without a test). Sorted: 0.01, 0.02, 0.03, 0.04 (m = 4).
        // Holm: 4·0.01 = 0.04; max(0.04, 3·0.02 = 0.06) = 0.06; max(0.06, 2·0.03) = 0.06; max(0.06, 0.04) = 0.06.
        // BH, from the largest: 0.04·4/4 = 0.04; min(0.04, 0.03·4/3 = 0.04); min(0.04, 0.02·4/2 = 0.04); min(0.04, 0.01·4) = 0.04.
        double?[] p = { 0.03, null, 0.01, 0.04, 0.02 };
        var holm = MultipleTesting.Adjust(p, Correction.Holm);
        Assert.Null(holm[1]);
        Assert.Equal(new[] { 0.06, 0.04, 0.06, 0.06 }, new[] { holm[0]!.Value, holm[2]!.Value, holm[3]!.Value, holm[4]!.Value }, new Tolerance(1e-12));
        var bh = MultipleTesting.Adjust(p, Correction.BenjaminiHochberg);
        Assert.Equal(new[] { 0.04, 0.04, 0.04, 0.04 }, new[] { bh[0]!.Value, bh[2]!.Value, bh[3]!.Value, bh[4]!.Value }, new Tolerance(1e-12));

        // A second set where the two differ: 0.001, 0.008, 0.039, 0.041, 0.042, 0.06 (m = 6).
        // Holm: 0.006, max(0.006, 5·0.008 = 0.04), max(0.04, 4·0.039 = 0.156), max(0.156, 3·0.041 = 0.123) = 0.156, max(0.156, 2·0.042 = 0.084) = 0.156, max(0.156, 0.06) = 0.156.
        // BH from the top: 0.06; min(0.06, 0.042·6/5 = 0.0504) = 0.0504; min(0.0504, 0.041·6/4 = 0.0615) = 0.0504; min(0.0504, 0.039·2 = 0.078) = 0.0504; min(0.0504, 0.008·3 = 0.024) = 0.024; 0.001·6 = 0.006.
        double?[] q = { 0.041, 0.001, 0.06, 0.008, 0.042, 0.039 };
        Assert.Equal(new[] { 0.156, 0.006, 0.156, 0.04, 0.156, 0.156 }, MultipleTesting.Adjust(q, Correction.Holm).Select(x => x!.Value), new Tolerance(1e-12));
        Assert.Equal(new[] { 0.0504, 0.006, 0.06, 0.024, 0.0504, 0.0504 }, MultipleTesting.Adjust(q, Correction.BenjaminiHochberg).Select(x => x!.Value), new Tolerance(1e-12));
        // Capped at 1, and no correction leaves them alone.
        Assert.Equal(1.0, MultipleTesting.Adjust(new double?[] { 0.6, 0.7 }, Correction.Holm)[0]);
        Assert.Equal(q, MultipleTesting.Adjust(q, Correction.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipleTesting.Adjust(new double?[] { 1.2 }, Correction.Holm));
    }

    [Fact]
    public void StudentQuantilesMatchTables()
    {
        Assert.Equal(2.228139, PairedStatistics.StudentQuantile(0.975, 10), 5);
        Assert.Equal(4.302653, PairedStatistics.StudentQuantile(0.975, 2), 5);
        Assert.Equal(0.879058, PairedStatistics.StudentQuantile(0.8, 10), 5);
        Assert.Equal(63.656741, PairedStatistics.StudentQuantile(0.995, 1), 4);
        Assert.Equal(-2.570582, PairedStatistics.StudentQuantile(0.025, 5), 5);
        Assert.Equal(0.0, PairedStatistics.StudentQuantile(0.5, 3));
        // One degree of freedom is Cauchy: the quantile is tan(π(p − ½)).
        Assert.Equal(Math.Tan(Math.PI * 0.4), PairedStatistics.StudentQuantile(0.9, 1), 9);
    }

    [Fact]
    public void TheTIntervalCoversAKnownDifferenceNinetyFivePercentOfTheTime()
    {
        // 2,000 simulated designs of 5 paired seeds, true mean difference +0.005, seed sd 0.01.
        var random = new Random(1);
        var covered = 0;
        const int simulations = 2000;
        for (var s = 0; s < simulations; s++)
        {
            var differences = Enumerable.Range(0, 5).Select(_ => 0.005 + 0.01 * Gaussian(random)).ToList();
            var ci = PairedStatistics.TInterval(differences)!.Value;
            if (ci.Low <= 0.005 && 0.005 <= ci.High) covered++;
        }
        var share = covered / (double)simulations;
        Assert.InRange(share, 0.93, 0.97);
    }

    [Fact]
    public void TheBootstrapPercentileIntervalCoversAKnownDifferenceNinetyFivePercentOfTheTime()
    {
        // 2,000 simulated test sets of 150 items; system A is right with probability 0.8, B with 0.7,
        // independently: the true accuracy difference is 0.10.
        var random = new Random(2);
        var covered = 0;
        const int simulations = 2000;
        static double Accuracy(double[] c) => c[0] / c[1];
        for (var s = 0; s < simulations; s++)
        {
            var a = Enumerable.Range(0, 150).Select(_ => new double[] { random.NextDouble() < 0.8 ? 1 : 0, 1 }).ToList();
            var b = Enumerable.Range(0, 150).Select(_ => new double[] { random.NextDouble() < 0.7 ? 1 : 0, 1 }).ToList();
            var result = PairedStatistics.PairedBootstrap(new[] { ((IReadOnlyList<double[]>)a, (IReadOnlyList<double[]>)b) }, Accuracy, resamples: 400, seed: s);
            if (result.Low <= 0.10 && 0.10 <= result.High) covered++;
        }
        var share = covered / (double)simulations;
        Assert.InRange(share, 0.93, 0.97);
    }

    [Fact]
    public void GroupedBootstrapResamplesWholeGroupsAndWidensTheIntervalOfCorrelatedItems()
    {
        // 40 groups of 5 identical items (a sentence with 5 relation pairs, all right or all wrong):
        // 200 items but only 40 independent ones, so the grouped interval is about √5 times as wide.
        var random = new Random(3);
        var groupRight = Enumerable.Range(0, 40).Select(_ => (A: random.NextDouble() < 0.8, B: random.NextDouble() < 0.6)).ToList();
        var a = new List<double[]>();
        var b = new List<double[]>();
        var groups = new List<int>();
        for (var g = 0; g < 40; g++)
            for (var k = 0; k < 5; k++)
            {
                a.Add(new double[] { groupRight[g].A ? 1 : 0, 1 });
                b.Add(new double[] { groupRight[g].B ? 1 : 0, 1 });
                groups.Add(g);
            }
        static double Accuracy(double[] c) => c[0] / c[1];
        var seeds = new[] { ((IReadOnlyList<double[]>)a, (IReadOnlyList<double[]>)b) };
        var items = PairedStatistics.PairedBootstrap(seeds, Accuracy, 2000);
        var grouped = PairedStatistics.PairedBootstrap(seeds, Accuracy, 2000, groups: groups);
        Assert.Equal(items.Observed, grouped.Observed, 12);
        Assert.Equal(200, items.Units);
        Assert.Equal(40, grouped.Units);
        var ratio = (grouped.High - grouped.Low) / (items.High - items.Low);
        Assert.InRange(ratio, 1.8, 2.7);
        Assert.Throws<ArgumentException>(() => PairedStatistics.PairedBootstrap(seeds, Accuracy, 10, groups: groups.Take(10).ToList()));
    }

    [Fact]
    public void TheMinimumDetectableEffectHasItsClosedFormAndItsPower()
    {
        // (t(0.975, 10) + t(0.8, 10)) · s / √11 with s = 1: (2.228139 + 0.879058) / 3.316625.
        Assert.Equal((2.228139 + 0.879058) / Math.Sqrt(11), PairedStatistics.MinimumDetectableEffect(1.0, 11, 0.05)!.Value, 5);
        Assert.Null(PairedStatistics.MinimumDetectableEffect(1.0, 1, 0.05));
        // The units needed are the first n whose detectable effect reaches the target.
        var n = PairedStatistics.UnitsToDetect(0.01, 0.01, 0.05)!.Value;
        Assert.True(PairedStatistics.MinimumDetectableEffect(0.01, n, 0.05) <= 0.01);
        Assert.True(PairedStatistics.MinimumDetectableEffect(0.01, n - 1, 0.05) > 0.01);
        Assert.Null(PairedStatistics.UnitsToDetect(0.01, 0, 0.05));

        // Power by simulation: with the true effect at the MDE of 8 units (sd 1), a two-sided paired
        // t-test at 5 % rejects about 80 % of the time (the closed form approximates the noncentral t).
        var mde = PairedStatistics.MinimumDetectableEffect(1.0, 8, 0.05)!.Value;
        var random = new Random(4);
        var rejected = 0;
        for (var s = 0; s < 2000; s++)
        {
            var d = Enumerable.Range(0, 8).Select(_ => mde + Gaussian(random)).ToList();
            if (PairedStatistics.PairedT(d, d.Select(_ => 0.0).ToList())!.Value.P < 0.05) rejected++;
        }
        Assert.InRange(rejected / 2000.0, 0.74, 0.86);
    }

    [Fact]
    public void VerdictsNeedEveryCorrectedTestAndStateWhatWouldHaveBeenDetected()
    {
        var rules = new VerdictRules(GreaterIsBetter: true, Alpha: 0.05, Power: 0.8, FamilySize: 4, Points: true, EffectOfInterest: 0.01, CorrectionName: "Holm");
        var gain = Verdict.Decide(new ComparisonEvidence(0.012, 5, "seeds", 0.002, 0.0004, 0.0016, (0.0095, 0.0145), 0.001, 0.004, (0.006, 0.018)), rules);
        Assert.Equal(VerdictKind.Gain, gain.Kind);
        Assert.StartsWith("gain: +1.20 points (95 % CI +0.95 to +1.45 points); Holm p 0.002 over 5 seeds", gain.Words);

        // Significant over seeds before correction only: no detectable difference, with the MDE at α/4.
        var raw = new ComparisonEvidence(0.0101, 3, "seeds", 0.004, 0.0053, 0.087, (0.006, 0.014), 0.15, 0.45, (-0.004, 0.02));
        var none = Verdict.Decide(raw, rules);
        Assert.Equal(VerdictKind.NoDetectableDifference, none.Kind);
        var expectedMde = (PairedStatistics.StudentQuantile(1 - 0.0125 / 2, 2) + PairedStatistics.StudentQuantile(0.8, 2)) * 0.004 / Math.Sqrt(3);
        Assert.Equal(expectedMde, none.MinimumDetectableEffect!.Value, 12);
        Assert.Contains("no detectable difference: +1.01 points", none.Words);
        Assert.Contains(FormattableString.Invariant($"an effect of ±{expectedMde * 100:0.00} points would have been detected at n = 3 seeds"), none.Words);
        Assert.Contains($"about {none.UnitsToDetect} seeds would detect ±1.00 points", none.Words);
        Assert.StartsWith("no detectable difference (±", none.Short(points: true));

        // Beyond the seeds after correction, but the bootstrap over test items is not: still no claim.
        var itemsDisagree = Verdict.Decide(raw with { AdjustedP = 0.01 }, rules);
        Assert.Equal(VerdictKind.NoDetectableDifference, itemsDisagree.Kind);
        Assert.Contains("within the noise of the test items", itemsDisagree.Words);

        // Lower is better (perplexity): a fall is a gain.
        var perplexity = rules with { GreaterIsBetter = false, Points = false, EffectOfInterest = null };
        Assert.Equal(VerdictKind.Gain, Verdict.Decide(new ComparisonEvidence(-40, 4, "pretraining runs", 5, 0.001, 0.004, (-48, -32), null, null, null), perplexity).Kind);
        Assert.Equal(VerdictKind.Loss, Verdict.Decide(new ComparisonEvidence(40, 4, "pretraining runs", 5, 0.001, 0.004, (32, 48), null, null, null), perplexity).Kind);

        var one = Verdict.Decide(new ComparisonEvidence(0.02, 1, "pretraining runs", null, null, null, null, 0.001, null, null, "only 1 pretraining run"), rules);
        Assert.Equal(VerdictKind.NotTestable, one.Kind);
        Assert.Contains("only 1 pretraining run", one.Words);
    }

    internal static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;
        public int GetHashCode(double obj) => 0;
    }
}
