using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Evaluation;

/// <summary>
/// JSONL files of seqeval cases, the format of tests/fixtures/seqeval/cases.jsonl: one object per
/// line with <c>y_true</c> and <c>y_pred</c> (lists of sentences of tags), <c>mode</c>
/// (<c>"default"</c> or <c>"strict"</c>, default when absent) and <c>scheme</c> (strict mode: IOB1,
/// IOB2, IOE1, IOE2, IOBES or BILOU; ignored otherwise). Results are written back into the line as
/// <c>report</c> (see <see cref="SeqevalJson"/>) and <c>accuracy</c>. Errors name the file and line.
/// </summary>
public static class SeqevalCaseFile
{
    /// <summary>Reads every non-blank line of <paramref name="path"/>, lazily.</summary>
    public static IEnumerable<SeqevalCase> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataException($"{path}: no such file; expected a JSONL file of seqeval cases.");
        return ReadLines(path);
    }

    private static IEnumerable<SeqevalCase> ReadLines(string path)
    {
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return Parse(line, path, number);
        }
    }

    /// <summary>Parses one line; <paramref name="path"/> and <paramref name="line"/> are for messages.</summary>
    public static SeqevalCase Parse(string text, string path, int line)
    {
        var where = $"{path}:{line}";
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new DataException($"{where}: not valid JSON ({e.Message}); expected one JSON object per line.", e);
        }
        if (node is not JsonObject json) throw new DataException($"{where}: expected a JSON object, found {Kind(node)}.");

        var yTrue = ReadSentences(json, "y_true", where);
        var yPred = ReadSentences(json, "y_pred", where);

        var mode = SeqevalMode.Default;
        var modeText = ReadOptionalString(json, "mode", where);
        if (modeText is not null)
        {
            mode = modeText switch
            {
                "default" => SeqevalMode.Default,
                "strict" => SeqevalMode.Strict,
                _ => throw new DataException($"{where}: field 'mode' is \"{modeText}\"; expected \"default\" or \"strict\"."),
            };
        }

        TaggingScheme? scheme = null;
        var schemeText = ReadOptionalString(json, "scheme", where);
        if (mode == SeqevalMode.Strict)
        {
            if (schemeText is null)
                throw new DataException($"{where}: strict mode needs field 'scheme': one of IOB1, IOB2, IOE1, IOE2, IOBES, BILOU.");
            if (!TaggingSchemes.TryParse(schemeText, out var parsed) || parsed is TaggingScheme.IO or TaggingScheme.IOBS)
                throw new DataException($"{where}: field 'scheme' is \"{schemeText}\"; strict mode expects one of IOB1, IOB2, IOE1, IOE2, IOBES, BILOU.");
            scheme = parsed;
        }
        return new SeqevalCase(line, json, yTrue, yPred, mode, scheme);
    }

    /// <summary>Scores a case; data errors are rethrown with the file and line in front.</summary>
    public static SeqevalReport Evaluate(SeqevalCase c, string path)
    {
        ArgumentNullException.ThrowIfNull(c);
        try
        {
            return Seqeval.Evaluate(c.YTrue, c.YPred, c.Mode, c.Scheme);
        }
        catch (DataException e)
        {
            throw new DataException($"{path}:{c.Line}: {e.Message}", e);
        }
    }

    /// <summary>A copy of the case's line with <c>report</c> and <c>accuracy</c> set from <paramref name="report"/>.</summary>
    public static JsonObject WithResults(SeqevalCase c, SeqevalReport report)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(report);
        var json = c.Json.DeepClone().AsObject();
        json["report"] = SeqevalJson.ToJson(report);
        json["accuracy"] = SeqevalJson.Number(report.Accuracy);
        return json;
    }

    /// <summary>
    /// How <paramref name="report"/> differs from the <c>report</c> and <c>accuracy</c> already in the
    /// case's line: keys in the same order, supports equal, numbers within <paramref name="tolerance"/>
    /// (NaN only equals NaN). Empty when they agree.
    /// </summary>
    public static IReadOnlyList<string> Differences(SeqevalCase c, SeqevalReport report, double tolerance = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(c);
        var problems = new List<string>();
        if (c.Json["report"] is not JsonObject expected)
        {
            problems.Add("the line has no 'report' object to compare with");
            return problems;
        }
        var actual = SeqevalJson.ToJson(report);
        var expectedKeys = expected.Select(p => p.Key).ToArray();
        var actualKeys = actual.Select(p => p.Key).ToArray();
        if (!expectedKeys.SequenceEqual(actualKeys, StringComparer.Ordinal))
            problems.Add($"report keys differ: expected [{string.Join(", ", expectedKeys)}], got [{string.Join(", ", actualKeys)}]");
        foreach (var (key, actualRow) in actual)
        {
            if (expected[key] is not JsonObject expectedRow) continue;
            foreach (var field in new[] { "precision", "recall", "f1-score" })
                CompareNumber($"{key}.{field}", expectedRow[field], actualRow![field], tolerance, problems);
            var expectedSupport = SeqevalJson.ReadNumber(expectedRow["support"]);
            var actualSupport = SeqevalJson.ReadNumber(actualRow!["support"]);
            if (expectedSupport != actualSupport)
                problems.Add($"{key}.support: expected {expectedSupport}, got {actualSupport}");
        }
        if (c.Json["accuracy"] is not null)
            CompareNumber("accuracy", c.Json["accuracy"], SeqevalJson.Number(report.Accuracy), tolerance, problems);
        return problems;
    }

    private static void CompareNumber(string name, JsonNode? expectedNode, JsonNode? actualNode, double tolerance, List<string> problems)
    {
        var expected = SeqevalJson.ReadNumber(expectedNode);
        var actual = SeqevalJson.ReadNumber(actualNode);
        if (expected is not { } e)
        {
            problems.Add($"{name}: expected value is not a number or \"NaN\" ({expectedNode?.ToJsonString() ?? "missing"})");
            return;
        }
        var a = actual ?? double.NaN;
        var same = double.IsNaN(e) ? double.IsNaN(a) : !double.IsNaN(a) && Math.Abs(e - a) <= tolerance;
        if (!same) problems.Add($"{name}: expected {PythonJson.FormatFloat(e)}, got {PythonJson.FormatFloat(a)}");
    }

    private static string[][] ReadSentences(JsonObject json, string field, string where)
    {
        if (json[field] is not JsonArray sentences)
            throw new DataException($"{where}: field '{field}' is {Kind(json[field])}; expected a list of sentences, each a list of tag strings.");
        var result = new string[sentences.Count][];
        for (var s = 0; s < sentences.Count; s++)
        {
            if (sentences[s] is not JsonArray tags)
                throw new DataException($"{where}: {field}[{s}] is {Kind(sentences[s])}; expected a list of tag strings.");
            result[s] = new string[tags.Count];
            for (var t = 0; t < tags.Count; t++)
            {
                if (tags[t] is not JsonValue v || !v.TryGetValue<string>(out var tag))
                    throw new DataException($"{where}: {field}[{s}][{t}] is {Kind(tags[t])}; expected a tag string such as \"B-PER\".");
                result[s][t] = tag;
            }
        }
        return result;
    }

    private static string? ReadOptionalString(JsonObject json, string field, string where)
    {
        var node = json[field];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        throw new DataException($"{where}: field '{field}' is {Kind(node)}; expected a string or null.");
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "missing or null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"the string {v.ToJsonString()}",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
            _ => v.ToJsonString(),
        },
        _ => "unreadable",
    };
}
