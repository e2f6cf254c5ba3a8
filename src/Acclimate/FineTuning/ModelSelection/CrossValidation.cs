using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;

namespace Acclimate.FineTuning.ModelSelection;

/// <summary>
/// k-fold cross-validation arithmetic: a seeded, balanced assignment of examples to folds, and the
/// mean ± sample standard deviation of per-fold metrics.
/// </summary>
internal static class CrossValidation
{
    /// <summary>
    /// The fold (0 … k−1) of each of <paramref name="count"/> examples: a seeded permutation dealt
    /// round-robin, so fold sizes differ by at most one and every fold is non-empty.
    /// </summary>
    public static int[] AssignFolds(int count, int folds, int seed)
    {
        if (folds < 2) throw new ConfigException($"cross-validation needs at least 2 folds (got {folds}).");
        if (count < folds) throw new DataException($"cross-validation with {folds} folds needs at least {folds} training examples; the training set has {count}.");
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        var result = new int[count];
        for (var i = 0; i < count; i++) result[order[i]] = i % folds;
        return result;
    }

    /// <summary>Mean and sample standard deviation (n − 1; 0 for one fold) of each metric present in every fold.</summary>
    public static IReadOnlyDictionary<string, (double Mean, double Std)> Summarize(IReadOnlyList<IReadOnlyDictionary<string, double>> perFold)
    {
        ArgumentNullException.ThrowIfNull(perFold);
        if (perFold.Count == 0) throw new ArgumentException("no folds to summarize.", nameof(perFold));
        var keys = perFold[0].Keys.Where(k => perFold.All(f => f.ContainsKey(k))).Order(StringComparer.Ordinal);
        var result = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var values = perFold.Select(f => f[key]).ToArray();
            var mean = values.Average();
            var std = values.Length < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
            result[key] = (mean, std);
        }
        return result;
    }
}
