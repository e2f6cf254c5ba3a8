using System.Text.Json;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Data.Datasets;

/// <summary>
/// Streams sentences from JSONL records <c>{"tokens": [...], "tags": [...]}</c> (field names
/// configurable). Both lists must be strings and of equal length; anything else is an error naming the line.
/// </summary>
internal static class TokenTagJsonlReader
{
    /// <summary>All sentences of <paramref name="path"/>; blank lines are skipped, a file with no record is an error.</summary>
    public static IEnumerable<TaggedSentence> Read(string path, string tokensField = "tokens", string tagsField = "tags",
                                                   int maxLineChars = TextLineReader.DefaultMaxLineChars)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokensField);
        ArgumentException.ThrowIfNullOrEmpty(tagsField);
        var lines = TextLineReader.ReadLines(path, maxLineChars);
        return Iterate(lines, path, tokensField, tagsField);
    }

    private static IEnumerable<TaggedSentence> Iterate(IEnumerable<TextLine> lines, string path, string tokensField, string tagsField)
    {
        var any = false;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            TaggedSentence sentence;
            using (var json = JsonLine.ParseObject(line, path))
            {
                var tokens = StringArray(json.RootElement, tokensField, path, line.Number);
                var tags = StringArray(json.RootElement, tagsField, path, line.Number);
                if (tokens.Length != tags.Length)
                    throw new DataException($"{path}:{line.Number}: {tokens.Length} tokens but {tags.Length} tags; expected one tag per token.");
                if (tokens.Length == 0)
                    throw new DataException($"{path}:{line.Number}: empty '{tokensField}'; expected at least one token.");
                sentence = new TaggedSentence(tokens, tags, path, line.Number, oneTokenPerLine: false);
            }
            any = true;
            yield return sentence;
        }
        if (!any) throw new DataException($"{path}: empty dataset: no JSON records; expected one {{\"{tokensField}\": [...], \"{tagsField}\": [...]}} per line.");
    }

    private static string[] StringArray(JsonElement obj, string field, string path, int lineNumber)
    {
        if (!obj.TryGetProperty(field, out var value))
            throw new DataException($"{path}:{lineNumber}: missing field '{field}'; found fields {JsonLine.FieldList(obj)}.");
        if (value.ValueKind != JsonValueKind.Array)
            throw new DataException($"{path}:{lineNumber}: field '{field}' is a JSON {JsonLine.Describe(value.ValueKind)}; expected an array of strings.");
        var result = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw new DataException($"{path}:{lineNumber}: {field}[{i}] is a JSON {JsonLine.Describe(item.ValueKind)}; expected a string" +
                                        (item.ValueKind == JsonValueKind.Number ? " (map tag ids to tag names first)." : "."));
            var s = item.GetString()!;
            if (s.Length == 0) throw new DataException($"{path}:{lineNumber}: {field}[{i}] is an empty string; expected a non-empty string.");
            result[i++] = s;
        }
        return result;
    }
}
