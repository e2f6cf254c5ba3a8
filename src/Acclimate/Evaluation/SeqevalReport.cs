using Acclimate.Data.Tagging;

namespace Acclimate.Evaluation;

/// <summary>
/// Entity-level scores equal to seqeval 1.2.2's <c>classification_report(output_dict=True,
/// zero_division=0)</c> plus <c>accuracy_score</c>. Produced by <see cref="Seqeval.Evaluate"/>.
/// </summary>
public sealed class SeqevalReport
{
    internal SeqevalReport(SeqevalMode mode, TaggingScheme? scheme, IReadOnlyList<ScoreRow> types,
        ScoreRow microAverage, ScoreRow macroAverage, ScoreRow weightedAverage, double accuracy,
        IReadOnlyList<string> nonEntityTags)
    {
        Mode = mode;
        Scheme = scheme;
        Types = types;
        MicroAverage = microAverage;
        MacroAverage = macroAverage;
        WeightedAverage = weightedAverage;
        Accuracy = accuracy;
        NonEntityTags = nonEntityTags;
    }

    /// <summary>How entities were found.</summary>
    public SeqevalMode Mode { get; }

    /// <summary>The scheme of strict mode; null in default mode, which uses none.</summary>
    public TaggingScheme? Scheme { get; }

    /// <summary>
    /// One row per entity type found in the gold or the prediction, sorted by code point (Python's
    /// <c>sorted</c>). A type seen only in the prediction has support 0.
    /// </summary>
    public IReadOnlyList<ScoreRow> Types { get; }

    /// <summary>Scores over all entities pooled: the usual "entity F1".</summary>
    public ScoreRow MicroAverage { get; }

    /// <summary>Plain mean of the per-type rows; NaN when there are no types at all.</summary>
    public ScoreRow MacroAverage { get; }

    /// <summary>Mean of the per-type rows weighted by support; all 0 when there are no gold entities.</summary>
    public ScoreRow WeightedAverage { get; }

    /// <summary>
    /// Token accuracy (seqeval's <c>accuracy_score</c>): tags equal to the gold tag over all tokens.
    /// NaN when there are no tokens (where seqeval raises ZeroDivisionError).
    /// </summary>
    public double Accuracy { get; }

    /// <summary>
    /// Default mode only: the distinct tags seqeval warns "seems not to be NE tag" about (not O and
    /// not starting with B-, I-, E-, S-; e.g. BILOU's U- and L-), in order of first appearance. They
    /// are a hint that default mode is misreading the data.
    /// </summary>
    public IReadOnlyList<string> NonEntityTags { get; }

    /// <summary>The row of an entity type, or null if the type was never seen.</summary>
    public ScoreRow? this[string type] => Types.FirstOrDefault(row => row.Name == type);
}
