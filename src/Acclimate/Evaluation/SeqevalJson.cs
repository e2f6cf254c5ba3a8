using System.Text.Json.Nodes;

namespace Acclimate.Evaluation;

/// <summary>
/// A <see cref="SeqevalReport"/> as the dict seqeval's <c>classification_report(output_dict=True)</c>
/// returns: the types in order, then <c>micro avg</c>, <c>macro avg</c>, <c>weighted avg</c>, each with
/// <c>precision</c>, <c>recall</c>, <c>f1-score</c> and <c>support</c>. NaN is the JSON string
/// <c>"NaN"</c>, as in the project's golden fixtures.
/// </summary>
internal static class SeqevalJson
{
    /// <summary>The report dict.</summary>
    public static JsonObject ToJson(SeqevalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var json = new JsonObject();
        foreach (var row in report.Types) json[row.Name] = Row(row);
        json[PrfTable.Micro] = Row(report.MicroAverage);
        json[PrfTable.Macro] = Row(report.MacroAverage);
        json[PrfTable.Weighted] = Row(report.WeightedAverage);
        return json;
    }

    /// <summary>A number, or the string <c>"NaN"</c> for NaN (plain JSON has no NaN).</summary>
    public static JsonNode Number(double value) =>
        double.IsNaN(value) ? JsonValue.Create("NaN") : JsonValue.Create(value);

    /// <summary>Reads a number written by <see cref="Number"/> (or a JSON number); null if it is neither.</summary>
    public static double? ReadNumber(JsonNode? node)
    {
        if (node is not JsonValue value) return null;
        if (value.TryGetValue<string>(out var s)) return s == "NaN" ? double.NaN : null;
        if (value.TryGetValue<double>(out var d)) return d;
        // Values built in memory keep their CLR type, so an int support does not read as double.
        if (value.TryGetValue<int>(out var i)) return i;
        return value.TryGetValue<long>(out var l) ? l : null;
    }

    private static JsonObject Row(ScoreRow row) => new()
    {
        ["precision"] = Number(row.Precision),
        ["recall"] = Number(row.Recall),
        ["f1-score"] = Number(row.F1),
        ["support"] = row.Support,
    };
}
