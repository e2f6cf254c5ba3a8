using Acclimate.Evaluation;

namespace Acclimate.Tests.Evaluation;

/// <summary>Every case of the seqeval 1.2.2 golden fixture must be reproduced to 1e-6, NaN included.</summary>
public sealed class SeqevalGoldenTests
{
    [Fact]
    public void FixtureHasAllCases()
    {
        Assert.Equal(SeqevalFixture.CaseCount, SeqevalFixture.Cases.Count);
        Assert.Equal(SeqevalFixture.CaseCount, SeqevalFixture.Cases.Select(c => c.Id).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(SeqevalFixture.Ids), MemberType = typeof(SeqevalFixture))]
    public void ReportAndAccuracyEqualSeqeval(string id)
    {
        var c = SeqevalFixture.Case(id);
        var report = Seqeval.Evaluate(c.YTrue, c.YPred, c.Mode, c.Scheme);
        var differences = SeqevalCaseFile.Differences(c, report, SeqevalFixture.Tolerance);
        Assert.True(differences.Count == 0, $"{id}: {string.Join("; ", differences)}");
    }

    [Fact]
    public void AllCasesMatchAtOnce()
    {
        // The same check as the theory, summarised, so a run shows the count ("400/400").
        var failed = SeqevalFixture.Cases
            .Where(c => SeqevalCaseFile.Differences(c, Seqeval.Evaluate(c.YTrue, c.YPred, c.Mode, c.Scheme)).Count > 0)
            .Select(c => c.Id)
            .ToArray();
        Assert.True(failed.Length == 0, $"{SeqevalFixture.Cases.Count - failed.Length}/{SeqevalFixture.Cases.Count} match; failing: {string.Join(", ", failed)}");
    }

    [Fact]
    public void NonEntityTagsAreTheTagsSeqevalWarnsAbout()
    {
        foreach (var c in SeqevalFixture.Cases)
        {
            var expected = c.Json["warnings"]!.AsArray()
                .Select(w => w!.GetValue<string>())
                .Where(w => w.StartsWith("UserWarning: ", StringComparison.Ordinal))
                .Select(w => w["UserWarning: ".Length..^" seems not to be NE tag.".Length])
                .Order(StringComparer.Ordinal)
                .ToArray();
            var report = Seqeval.Evaluate(c.YTrue, c.YPred, c.Mode, c.Scheme);
            Assert.Equal(expected, report.NonEntityTags.Order(StringComparer.Ordinal).ToArray());
        }
    }

    [Fact]
    public void NanCasesHaveNoTypesAndNanMacro()
    {
        var nanCases = SeqevalFixture.Cases.Where(c => c.Json["report"]!["macro avg"]!["precision"]!.ToJsonString() == "\"NaN\"").ToArray();
        Assert.Equal(5, nanCases.Length); // the README counts 5
        foreach (var c in nanCases)
        {
            var report = Seqeval.Evaluate(c.YTrue, c.YPred, c.Mode, c.Scheme);
            Assert.Empty(report.Types);
            Assert.True(double.IsNaN(report.MacroAverage.F1));
            Assert.Equal(0.0, report.MicroAverage.F1);
            Assert.Equal(0.0, report.WeightedAverage.Precision);
        }
    }
}
