using Acclimate.Errors;

namespace Acclimate.Evaluation;

/// <summary>Accuracy and per-class precision/recall/F1 for single-label classification.</summary>
public static class ClassificationMetrics
{
    /// <summary>
    /// Scores string labels. The classes are every label seen in <paramref name="gold"/> or
    /// <paramref name="predicted"/>, sorted by code point (as scikit-learn sorts them).
    /// </summary>
    public static ClassificationReport Compute(IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        CheckLengths(gold.Count, predicted.Count);
        var names = gold.Concat(predicted).Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++) index[names[i]] = i;
        return Build(names, gold.Select(g => index[g]).ToArray(), predicted.Select(p => index[p]).ToArray());
    }

    /// <summary>
    /// Scores label ids against a model's label list; every class of <paramref name="labelNames"/> gets
    /// a row, in that order, even with no gold or predicted example (it then scores 0 and counts in
    /// the macro average, as scikit-learn does when given <c>labels=</c>).
    /// </summary>
    public static ClassificationReport Compute(IReadOnlyList<int> gold, IReadOnlyList<int> predicted, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(labelNames);
        CheckLengths(gold.Count, predicted.Count);
        for (var i = 0; i < gold.Count; i++)
        {
            if ((uint)gold[i] >= (uint)labelNames.Count || (uint)predicted[i] >= (uint)labelNames.Count)
                throw new DataException(
                    $"example {i}: label id {((uint)gold[i] >= (uint)labelNames.Count ? $"{gold[i]} (gold)" : $"{predicted[i]} (predicted)")} is outside the {labelNames.Count} labels.");
        }
        return Build(labelNames, gold, predicted);
    }

    private static ClassificationReport Build(IReadOnlyList<string> names, IReadOnlyList<int> gold, IReadOnlyList<int> predicted)
    {
        var correct = new int[names.Count];
        var predictedCount = new int[names.Count];
        var goldCount = new int[names.Count];
        var hits = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            goldCount[gold[i]]++;
            predictedCount[predicted[i]]++;
            if (gold[i] == predicted[i])
            {
                correct[gold[i]]++;
                hits++;
            }
        }
        var (rows, _, macro, weighted) = PrfTable.Build(names, correct, predictedCount, goldCount);
        var accuracy = gold.Count == 0 ? double.NaN : (double)hits / gold.Count;
        return new ClassificationReport(accuracy, gold.Count, rows, macro, weighted);
    }

    private static void CheckLengths(int gold, int predicted)
    {
        if (gold != predicted)
            throw new DataException($"{gold} gold labels but {predicted} predictions: expected one prediction per example.");
    }
}
