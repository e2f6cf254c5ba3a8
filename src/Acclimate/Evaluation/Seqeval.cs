using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Evaluation;

/// <summary>
/// Entity-level NER metrics with the exact semantics of Python seqeval 1.2.2, in default
/// (conlleval-compatible) or strict mode. See docs/metrics.md.
/// </summary>
public static class Seqeval
{
    /// <summary>
    /// Scores predicted tags against gold tags, sentence by sentence. Equals seqeval's
    /// <c>classification_report(y_true, y_pred, output_dict=True, zero_division=0, mode=..., scheme=...)</c>
    /// and <c>accuracy_score(y_true, y_pred)</c>.
    /// </summary>
    /// <param name="yTrue">Gold tags, one list per sentence.</param>
    /// <param name="yPred">Predicted tags, the same shape as <paramref name="yTrue"/>.</param>
    /// <param name="mode">Default (lenient, scheme ignored) or strict.</param>
    /// <param name="scheme">Strict mode's scheme: IOB1, IOB2, IOE1, IOE2, IOBES or BILOU. Ignored in default mode.</param>
    /// <exception cref="DataException">Shapes differ, a tag is empty, strict mode has no or an unsupported
    /// scheme, or (strict) a tag's prefix is not one of the scheme's.</exception>
    public static SeqevalReport Evaluate(
        IReadOnlyList<IReadOnlyList<string>> yTrue,
        IReadOnlyList<IReadOnlyList<string>> yPred,
        SeqevalMode mode = SeqevalMode.Default,
        TaggingScheme? scheme = null)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        CheckSameShape(yTrue, yPred);

        HashSet<EntityKey> gold, predicted;
        var nonEntityTags = new List<string>();
        if (mode == SeqevalMode.Strict)
        {
            if (scheme is not { } strictScheme || !StrictChunker.Supports(strictScheme))
                throw new DataException(
                    $"strict mode needs a scheme among IOB1, IOB2, IOE1, IOE2, IOBES, BILOU; got {(scheme?.ToString() ?? "none")}.");
            gold = StrictChunker.Extract(yTrue, strictScheme, "y_true");
            predicted = StrictChunker.Extract(yPred, strictScheme, "y_pred");
        }
        else
        {
            scheme = null;
            gold = ConllChunker.Extract(yTrue, "y_true", nonEntityTags);
            predicted = ConllChunker.Extract(yPred, "y_pred", nonEntityTags);
        }

        var types = gold.Select(e => e.Type).Concat(predicted.Select(e => e.Type))
            .Distinct(StringComparer.Ordinal)
            .Order(CodePointComparer.Instance)
            .ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < types.Length; i++) index[types[i]] = i;
        var correct = new int[types.Length];
        var predictedCount = new int[types.Length];
        var goldCount = new int[types.Length];
        foreach (var e in gold) goldCount[index[e.Type]]++;
        foreach (var e in predicted)
        {
            predictedCount[index[e.Type]]++;
            if (gold.Contains(e)) correct[index[e.Type]]++;
        }

        var (rows, micro, macro, weighted) = PrfTable.Build(types, correct, predictedCount, goldCount);
        return new SeqevalReport(mode, scheme, rows, micro, macro, weighted, Accuracy(yTrue, yPred), nonEntityTags);
    }

    /// <summary>
    /// seqeval's <c>accuracy_score</c>: the share of tokens whose predicted tag equals the gold tag,
    /// over all sentences. NaN when there are no tokens.
    /// </summary>
    public static double Accuracy(IReadOnlyList<IReadOnlyList<string>> yTrue, IReadOnlyList<IReadOnlyList<string>> yPred)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        CheckSameShape(yTrue, yPred);
        long correct = 0, total = 0;
        for (var s = 0; s < yTrue.Count; s++)
        {
            var gold = yTrue[s];
            var predicted = yPred[s];
            for (var t = 0; t < gold.Count; t++)
            {
                if (string.Equals(gold[t], predicted[t], StringComparison.Ordinal)) correct++;
                total++;
            }
        }
        return total == 0 ? double.NaN : (double)correct / total;
    }

    private static void CheckSameShape(IReadOnlyList<IReadOnlyList<string>> yTrue, IReadOnlyList<IReadOnlyList<string>> yPred)
    {
        if (yTrue.Count != yPred.Count)
            throw new DataException($"y_true has {yTrue.Count} sentences but y_pred has {yPred.Count}: they must have the same shape.");
        for (var s = 0; s < yTrue.Count; s++)
        {
            if (yTrue[s] is null || yPred[s] is null)
                throw new DataException($"sentence {s} is missing (null) in {(yTrue[s] is null ? "y_true" : "y_pred")}.");
            if (yTrue[s].Count != yPred[s].Count)
                throw new DataException(
                    $"sentence {s} has {yTrue[s].Count} tags in y_true but {yPred[s].Count} in y_pred: they must have the same shape.");
        }
    }
}
