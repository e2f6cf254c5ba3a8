using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.Tests.FineTuning.ModelSelection;

public sealed class CrossValidationTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(7, 7)]
    [InlineData(101, 5)]
    public void Folds_are_balanced_and_cover_every_example_once(int count, int k)
    {
        var folds = CrossValidation.AssignFolds(count, k, seed: 3);
        Assert.Equal(count, folds.Length);
        var sizes = Enumerable.Range(0, k).Select(f => folds.Count(x => x == f)).ToArray();
        Assert.All(sizes, s => Assert.True(s >= 1));
        Assert.True(sizes.Max() - sizes.Min() <= 1, $"fold sizes {string.Join(",", sizes)}");
        Assert.Equal(count, sizes.Sum());
    }

    [Fact]
    public void Folds_depend_on_the_seed_only()
    {
        Assert.Equal(CrossValidation.AssignFolds(50, 5, 9), CrossValidation.AssignFolds(50, 5, 9));
        Assert.NotEqual(CrossValidation.AssignFolds(50, 5, 9), CrossValidation.AssignFolds(50, 5, 10));
        // Not simply index % k: the assignment is shuffled.
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => i % 5).ToArray(), CrossValidation.AssignFolds(50, 5, 9));
    }

    [Fact]
    public void Too_few_examples_or_folds_are_errors()
    {
        Assert.Throws<DataException>(() => CrossValidation.AssignFolds(2, 3, 1));
        Assert.Throws<ConfigException>(() => CrossValidation.AssignFolds(10, 1, 1));
    }

    [Fact]
    public void Summary_is_mean_and_sample_standard_deviation()
    {
        var folds = new[]
        {
            new Dictionary<string, double> { ["f1"] = 0.5, ["accuracy"] = 0.9 },
            new Dictionary<string, double> { ["f1"] = 0.7, ["accuracy"] = 0.9 },
            new Dictionary<string, double> { ["f1"] = 0.6, ["accuracy"] = 0.9, ["only_here"] = 1 },
        };
        var summary = CrossValidation.Summarize(folds);
        Assert.Equal(0.6, summary["f1"].Mean, 12);
        // sample std of 0.5, 0.7, 0.6: sqrt((0.01 + 0.01 + 0) / 2) = 0.1
        Assert.Equal(0.1, summary["f1"].Std, 12);
        Assert.Equal(0.0, summary["accuracy"].Std, 12);
        Assert.False(summary.ContainsKey("only_here"));
    }
}
