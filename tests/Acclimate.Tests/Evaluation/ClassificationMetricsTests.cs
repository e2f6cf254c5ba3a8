using Acclimate.Errors;
using Acclimate.Evaluation;

namespace Acclimate.Tests.Evaluation;

public sealed class ClassificationMetricsTests
{
    [Fact]
    public void ScoresLikeScikitLearn()
    {
        // a: tp 1, predicted 2, gold 2; b: tp 2, predicted 3, gold 2; c: tp 0, predicted 0, gold 1
        var r = ClassificationMetrics.Compute(["a", "a", "b", "b", "c"], ["a", "b", "b", "b", "a"]);
        Assert.Equal(0.6, r.Accuracy);
        Assert.Equal(5, r.Total);
        Assert.Equal(new ScoreRow("a", 0.5, 0.5, 0.5, 2), r["a"]);
        Assert.Equal(2.0 / 3, r["b"]!.Precision);
        Assert.Equal(1.0, r["b"]!.Recall);
        Assert.Equal(0.8, r["b"]!.F1, 15);
        Assert.Equal(new ScoreRow("c", 0, 0, 0, 1), r["c"]);
        Assert.Equal((0.5 + 2.0 / 3) / 3, r.MacroAverage.Precision, 15);
        Assert.Equal(0.5, r.MacroAverage.Recall, 15);
        Assert.Equal(1.3 / 3, r.MacroF1, 15);
        Assert.Equal((0.5 * 2 + 2.0 / 3 * 2) / 5, r.WeightedAverage.Precision, 15);
        Assert.Equal(0.6, r.WeightedAverage.Recall, 15);
        Assert.Equal(0.52, r.WeightedAverage.F1, 15);
    }

    [Fact]
    public void LabelIdsKeepEveryClassInModelOrder()
    {
        var r = ClassificationMetrics.Compute([2, 0, 2], [2, 0, 0], ["neg", "neutral", "pos"]);
        Assert.Equal(["neg", "neutral", "pos"], r.Classes.Select(c => c.Name));
        Assert.Equal(new ScoreRow("neutral", 0, 0, 0, 0), r["neutral"]);
        Assert.Equal(new ScoreRow("pos", 1.0, 0.5, 2.0 * 0.5 / 1.5, 2), r["pos"]);
    }

    [Fact]
    public void RejectsMismatchedOrOutOfRangeInput()
    {
        Assert.Throws<DataException>(() => ClassificationMetrics.Compute(["a"], ["a", "b"]));
        var e = Assert.Throws<DataException>(() => ClassificationMetrics.Compute([0, 3], [0, 0], ["x", "y"]));
        Assert.Contains("example 1", e.Message);
    }

    [Fact]
    public void NoExamplesGivesNan()
    {
        var r = ClassificationMetrics.Compute(Array.Empty<string>(), Array.Empty<string>());
        Assert.True(double.IsNaN(r.Accuracy));
        Assert.True(double.IsNaN(r.MacroF1));
    }
}
