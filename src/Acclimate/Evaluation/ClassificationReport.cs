namespace Acclimate.Evaluation;

/// <summary>
/// Sequence-classification scores, as scikit-learn's <c>classification_report</c> with
/// <c>zero_division=0</c>: accuracy, per-class precision/recall/F1/support, macro and weighted
/// averages. Produced by <see cref="ClassificationMetrics"/>.
/// </summary>
public sealed class ClassificationReport
{
    internal ClassificationReport(double accuracy, int total, IReadOnlyList<ScoreRow> classes, ScoreRow macroAverage, ScoreRow weightedAverage)
    {
        Accuracy = accuracy;
        Total = total;
        Classes = classes;
        MacroAverage = macroAverage;
        WeightedAverage = weightedAverage;
    }

    /// <summary>Share of examples predicted correctly; NaN when there are none.</summary>
    public double Accuracy { get; }

    /// <summary>Number of examples.</summary>
    public int Total { get; }

    /// <summary>One row per class.</summary>
    public IReadOnlyList<ScoreRow> Classes { get; }

    /// <summary>Unweighted mean over classes; NaN when there are no classes.</summary>
    public ScoreRow MacroAverage { get; }

    /// <summary>Mean over classes weighted by support.</summary>
    public ScoreRow WeightedAverage { get; }

    /// <summary>Macro-averaged F1, the usual headline for imbalanced classes.</summary>
    public double MacroF1 => MacroAverage.F1;

    /// <summary>The row of a class, or null if it is not in the report.</summary>
    public ScoreRow? this[string label] => Classes.FirstOrDefault(row => row.Name == label);
}
