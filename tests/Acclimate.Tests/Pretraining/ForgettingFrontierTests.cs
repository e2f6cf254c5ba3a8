using Acclimate.Errors;
using Acclimate.Pretraining;

namespace Acclimate.Tests.Pretraining;

/// <summary>The frontier's arithmetic, Pareto set and refusals, on hand-computed losses.</summary>
public sealed class ForgettingFrontierTests
{
    // Start: domain 3.0, general 2.0. Plain runs: domain 2.0 and 2.2 (mean 2.1 → gain 0.9),
    // general 2.5 and 2.3 (mean 2.4 → forgetting 0.4).
    private static readonly FrontierRun[] Plain = { new("plain", "p1", 2.0, 2.5), new("plain", "p2", 2.2, 2.3) };

    [Fact]
    public void PlacesEachRunAsSharesOfTheReferenceGainAndForgetting()
    {
        var frontier = ForgettingFrontier.Build(3.0, 2.0, "plain", Plain.Append(new FrontierRun("lora", "l1", 2.55, 2.1)).ToList());
        var lora = frontier.Methods.Single(m => m.Label == "lora").Runs.Single();
        Assert.Equal(0.45 / 0.9, lora.DomainGainKept, 12);
        Assert.Equal(1 - 0.1 / 0.4, lora.GeneralLossAvoided, 12);
        var plain = frontier.Methods.Single(m => m.Label == "plain");
        // The reference's mean is (1, 0) by construction; its runs straddle it.
        Assert.Equal(1.0, plain.DomainGainKept, 12);
        Assert.Equal(0.0, plain.GeneralLossAvoided, 12);
        Assert.Equal(0.8 / 0.9, plain.DomainGainKeptRange.Min, 12);
        Assert.Equal(1.0 / 0.9, plain.DomainGainKeptRange.Max, 12);
        Assert.Equal(-0.25, plain.GeneralLossAvoidedRange.Min, 12);
        Assert.Equal(0.25, plain.GeneralLossAvoidedRange.Max, 12);
        Assert.Equal(2.1, frontier.ReferenceDomainLoss, 12);
    }

    [Fact]
    public void AMethodWorseOnBothAxesIsOffTheParetoSetAndSaysByWhom()
    {
        var runs = Plain.Concat(new[]
        {
            new FrontierRun("rehearsal", "r1", 2.3, 2.1), new FrontierRun("rehearsal", "r2", 2.3, 2.1),   // kept 0.78, avoided 0.75
            new FrontierRun("l2sp", "s1", 2.5, 2.2), new FrontierRun("l2sp", "s2", 2.5, 2.2),             // kept 0.56, avoided 0.5: dominated by rehearsal
            new FrontierRun("lora", "l1", 2.8, 2.0),                                                        // kept 0.22, avoided 1.0: on the set
        }).ToList();
        var frontier = ForgettingFrontier.Build(3.0, 2.0, "plain", runs);
        var byLabel = frontier.Methods.ToDictionary(m => m.Label);
        Assert.True(byLabel["plain"].OnParetoSet);
        Assert.True(byLabel["rehearsal"].OnParetoSet);
        Assert.True(byLabel["lora"].OnParetoSet);
        Assert.Equal(new[] { "rehearsal" }, byLabel["l2sp"].DominatedBy);
        // Both runs of each are identical, so the gap is larger than the (zero) spread.
        Assert.False(byLabel["l2sp"].DominanceWithinSpread);
    }

    [Fact]
    public void DominanceInsideTheRunToRunSpreadIsFlagged()
    {
        var runs = Plain.Concat(new[]
        {
            new FrontierRun("a", "a1", 2.2, 2.05), new FrontierRun("a", "a2", 2.6, 2.25),
            new FrontierRun("b", "b1", 2.45, 2.2), new FrontierRun("b", "b2", 2.5, 2.15),
        }).ToList();
        var b = ForgettingFrontier.Build(3.0, 2.0, "plain", runs).Methods.Single(m => m.Label == "b");
        Assert.Contains("a", b.DominatedBy);
        Assert.True(b.DominanceWithinSpread);
    }

    [Fact]
    public void RefusesAxesThatWouldBeUndefined()
    {
        var missing = Assert.Throws<ConfigException>(() => ForgettingFrontier.Build(3.0, 2.0, "dapt", Plain));
        Assert.Contains("no run is labelled 'dapt'", missing.Message);
        Assert.Contains("plain", missing.Message);
        var noGain = Assert.Throws<ConfigException>(() => ForgettingFrontier.Build(1.5, 2.0, "plain", Plain));
        Assert.Contains("did not lower the domain loss", noGain.Message);
        var noForgetting = Assert.Throws<ConfigException>(() => ForgettingFrontier.Build(3.0, 2.6, "plain", Plain));
        Assert.Contains("did not raise the general loss", noForgetting.Message);
        var nan = Assert.Throws<ConfigException>(() => ForgettingFrontier.Build(3.0, 2.0, "plain", Plain.Append(new FrontierRun("x", "runs/x", double.NaN, 2.0)).ToList()));
        Assert.Contains("runs/x", nan.Message);
    }

    [Fact]
    public void TheReportWritesTheTableTheTsvAndThePlot()
    {
        using var temp = TestPaths.NewTempFolder();
        var runs = Plain.Concat(new[] { new FrontierRun("rehearsal", "r1", 2.3, 2.1), new FrontierRun("l2sp", "s1", 2.5, 2.2) }).ToList();
        var frontier = ForgettingFrontier.Build(3.0, 2.0, "plain", runs);
        var folder = temp.File("frontier");
        ForgettingFrontierReport.Write(folder, frontier, "pubmed.txt", "brown.txt");
        var md = File.ReadAllText(Path.Combine(folder, ForgettingFrontierReport.MarkdownFile));
        Assert.Contains("| rehearsal | 1 | 10.0 | 8.2 | 78 % (78 % to 78 %) | 75 % (75 % to 75 %) | yes | one pretraining run: its spread is unknown |", md);
        Assert.Contains("| l2sp | 1 |", md);
        Assert.Contains("dominated by rehearsal", md);
        Assert.Contains("pubmed.txt", md);
        var tsv = File.ReadAllLines(Path.Combine(folder, ForgettingFrontierReport.TableFile));
        Assert.Equal(1 + 1 + runs.Count, tsv.Length);
        Assert.StartsWith("start\t\t3\t2\t", tsv[1]);
        var png = File.ReadAllBytes(Path.Combine(folder, ForgettingFrontierReport.PlotFile));
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
    }
}
