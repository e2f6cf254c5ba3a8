namespace Acclimate.Evaluation;

/// <summary>
/// Per-label precision/recall/F1 and their micro, macro and weighted averages from counts, computed
/// the way seqeval's (and scikit-learn's) <c>precision_recall_fscore_support</c> does with
/// <c>zero_division=0</c>, including numpy's summation order.
/// </summary>
internal static class PrfTable
{
    public const string Micro = "micro avg";
    public const string Macro = "macro avg";
    public const string Weighted = "weighted avg";

    public static (ScoreRow[] Rows, ScoreRow Micro, ScoreRow Macro, ScoreRow Weighted) Build(
        IReadOnlyList<string> names, int[] correct, int[] predicted, int[] gold)
    {
        var n = names.Count;
        var p = new double[n];
        var r = new double[n];
        var f = new double[n];
        var rows = new ScoreRow[n];
        long correctSum = 0, predictedSum = 0, goldSum = 0;
        for (var i = 0; i < n; i++)
        {
            p[i] = Divide(correct[i], predicted[i]);
            r[i] = Divide(correct[i], gold[i]);
            f[i] = F1(p[i], r[i]);
            rows[i] = new ScoreRow(names[i], p[i], r[i], f[i], gold[i]);
            correctSum += correct[i];
            predictedSum += predicted[i];
            goldSum += gold[i];
        }
        var support = checked((int)goldSum);

        var microP = Divide(correctSum, predictedSum);
        var microR = Divide(correctSum, goldSum);
        var micro = new ScoreRow(Micro, microP, microR, F1(microP, microR), support);

        // np.average of an empty array is NaN: with no labels at all the macro row is NaN.
        var macro = new ScoreRow(Macro, NumpySum.Mean(p), NumpySum.Mean(r), NumpySum.Mean(f), support);

        ScoreRow weighted;
        if (goldSum == 0)
        {
            // scikit-learn's rule when all weights are 0: recall is the zero_division value; precision
            // and F1 are too only if nothing was predicted either. With zero_division=0 all are 0.
            weighted = new ScoreRow(Weighted, 0.0, 0.0, 0.0, support);
        }
        else
        {
            weighted = new ScoreRow(Weighted,
                NumpySum.WeightedMean(p, gold), NumpySum.WeightedMean(r, gold), NumpySum.WeightedMean(f, gold), support);
        }
        return (rows, micro, macro, weighted);
    }

    private static double Divide(long numerator, long denominator) =>
        denominator == 0 ? 0.0 : (double)numerator / denominator;

    // Written as numpy evaluates (1 + beta^2) * p * r / (beta^2 * p + r) with beta = 1.
    private static double F1(double p, double r)
    {
        var denominator = p + r;
        return denominator == 0.0 ? 0.0 : 2.0 * p * r / denominator;
    }
}
