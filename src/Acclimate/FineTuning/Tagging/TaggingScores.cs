using Acclimate.Training;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Evaluation;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// How well predicted tags match gold tags. With a scheme: seqeval-exact entity P/R/F1 per type
/// plus micro/macro (default mode), strict-mode F1 where the scheme allows, and token accuracy.
/// Without one (POS): token accuracy and per-tag P/R/F1 with macro average.
/// </summary>
public sealed class TaggingScores : IEvaluationScores
{
    private TaggingScores(SeqevalReport? entities, double? strictF1, ClassificationReport? tags, double accuracy)
    {
        Entities = entities;
        StrictF1 = strictF1;
        Tags = tags;
        Accuracy = accuracy;
    }

    /// <summary>Seqeval entity scores (with a scheme), else null.</summary>
    public SeqevalReport? Entities { get; }

    /// <summary>Seqeval strict-mode micro F1 (where the scheme allows strict mode), else null.</summary>
    public double? StrictF1 { get; }

    /// <summary>Per-tag precision/recall/F1 (without a scheme), else null.</summary>
    public ClassificationReport? Tags { get; }

    /// <summary>Token (word) accuracy.</summary>
    public double Accuracy { get; }

    /// <summary>Scores predictions (in the files' scheme) against gold sentences.</summary>
    public static TaggingScores Compute(IReadOnlyList<TaggedSentence> gold, IReadOnlyList<IReadOnlyList<string>> predicted, TaggingScheme? scheme)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        var truth = gold.Select(s => s.Tags).ToArray();
        var accuracy = Seqeval.Accuracy(truth, predicted);
        if (scheme is { } s)
        {
            // BMES is scored as seqeval scores its IOBES form (M-X read as I-X).
            var (t, p) = (TaggingSchemes.ForSeqeval(s, truth), TaggingSchemes.ForSeqeval(s, predicted));
            var report = Seqeval.Evaluate(t, p);
            double? strict = null;
            var strictScheme = TaggingSchemes.ForSeqevalStrict(s);
            if (StrictChunker.Supports(strictScheme)) strict = Seqeval.Evaluate(t, p, SeqevalMode.Strict, strictScheme).MicroAverage.F1;
            return new TaggingScores(report, strict, null, accuracy);
        }
        var tags = ClassificationMetrics.Compute(truth.SelectMany(t => t).ToArray(), predicted.SelectMany(t => t).ToArray());
        return new TaggingScores(null, null, tags, accuracy);
    }

    /// <summary>
    /// Everything these scores hold, as JSON (non-finite numbers as <c>"NaN"</c>): how a checkpoint keeps
    /// the earlier epochs' evaluations, so that a resumed run's epochs.md shows their tables too.
    /// </summary>
    internal JsonNode ToJson() => JsonSerializer.SerializeToNode(new Stored(Accuracy, StrictF1,
        Entities is { } e ? new StoredEntities(e.Mode, e.Scheme, e.Types.ToArray(), e.MicroAverage, e.MacroAverage, e.WeightedAverage, e.Accuracy, e.NonEntityTags.ToArray()) : null,
        Tags is { } t ? new StoredTags(t.Accuracy, t.Total, t.Classes.ToArray(), t.MacroAverage, t.WeightedAverage) : null), StoredJson)!;

    /// <summary>Scores equal to those <see cref="ToJson"/> wrote.</summary>
    internal static TaggingScores FromJson(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var s = node.Deserialize<Stored>(StoredJson) ?? throw new JsonException("empty tagging scores");
        if ((s.Entities is null) == (s.Tags is null)) throw new JsonException("tagging scores hold either entity scores or tag scores");
        var entities = s.Entities is { } e ? new SeqevalReport(e.Mode, e.Scheme, e.Types, e.Micro, e.Macro, e.Weighted, e.Accuracy, e.NonEntityTags) : null;
        var tags = s.Tags is { } t ? new ClassificationReport(t.Accuracy, t.Total, t.Classes, t.Macro, t.Weighted) : null;
        return new TaggingScores(entities, s.StrictF1, tags, s.Accuracy);
    }

    private static readonly JsonSerializerOptions StoredJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        RespectNullableAnnotations = true,
    };

    private sealed record Stored(double Accuracy, double? StrictF1, StoredEntities? Entities, StoredTags? Tags);

    private sealed record StoredEntities(SeqevalMode Mode, TaggingScheme? Scheme, ScoreRow[] Types, ScoreRow Micro, ScoreRow Macro, ScoreRow Weighted, double Accuracy, string[] NonEntityTags);

    private sealed record StoredTags(double Accuracy, int Total, ScoreRow[] Classes, ScoreRow Macro, ScoreRow Weighted);

    /// <summary>Named values for metrics.jsonl and best-model selection: f1, precision, recall, macro_f1, strict_f1, accuracy.</summary>
    public IReadOnlyDictionary<string, double> Metrics()
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["accuracy"] = Accuracy };
        if (Entities is { } e)
        {
            values["f1"] = e.MicroAverage.F1;
            values["precision"] = e.MicroAverage.Precision;
            values["recall"] = e.MicroAverage.Recall;
            values["macro_f1"] = e.MacroAverage.F1;
            if (StrictF1 is double strict) values["strict_f1"] = strict;
        }
        if (Tags is { } t) values["macro_f1"] = t.MacroF1;
        return values;
    }

    /// <summary>Rows for a table: per entity type (or per tag), then micro and macro averages.</summary>
    public IReadOnlyList<ScoreRow> Rows()
    {
        if (Entities is { } e) return e.Types.Append(e.MicroAverage with { Name = "micro avg" }).Append(e.MacroAverage with { Name = "macro avg" }).ToArray();
        var t = Tags!;
        return t.Classes.Append(t.MacroAverage with { Name = "macro avg" }).ToArray();
    }

    /// <summary>At most <paramref name="maxRows"/> rows: the types with the most support (in that order), then the averages.</summary>
    public static IReadOnlyList<ScoreRow> MostFrequent(IReadOnlyList<ScoreRow> rows, int maxRows)
    {
        if (rows.Count <= maxRows) return rows;
        var averages = rows.Where(r => r.Name.EndsWith(" avg", StringComparison.Ordinal)).ToArray();
        return rows.Where(r => !r.Name.EndsWith(" avg", StringComparison.Ordinal)).OrderByDescending(r => r.Support)
            .Take(Math.Max(1, maxRows - averages.Length)).Concat(averages).ToArray();
    }

    /// <summary>A Markdown table of <see cref="Rows"/> plus accuracy (and strict F1).</summary>
    public string ToMarkdown(int maxRows = 60)
    {
        var text = new StringBuilder();
        text.Append("| type | precision | recall | F1 | support |\n|---|---:|---:|---:|---:|\n");
        var rows = Rows();
        var shown = MostFrequent(rows, maxRows);
        foreach (var r in shown)
            text.Append(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Precision:F4} | {r.Recall:F4} | {r.F1:F4} | {r.Support} |\n");
        text.Append(CultureInfo.InvariantCulture, $"\ntoken accuracy {Accuracy:F4}");
        if (StrictF1 is double s) text.Append(CultureInfo.InvariantCulture, $"; strict-mode micro F1 {s:F4}");
        text.Append('\n');
        return text.ToString();
    }
}
