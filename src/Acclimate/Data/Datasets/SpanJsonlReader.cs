using System.Text.Json;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Data.Datasets;

/// <summary>
/// Reads CLUENER-style span annotations and turns them into character-level BIO tags:
/// <c>{"text": "浙商银行企业信贷部叶老桂博士…", "label": {"name": {"叶老桂": [[9, 11]]}, "company": {"浙商银行": [[0, 3]]}}}</c>.
/// Offsets count Unicode code points (Python string indices, as the data was made), and the end is
/// inclusive, as in CLUENER2020. Each code point is one token; tags are <c>B-type</c>, <c>I-type</c>, <c>O</c>
/// with the type exactly as written. A span that leaves the text, overlaps another span, or whose
/// mention string differs from the text it covers is an error naming the line.
/// </summary>
internal static class SpanJsonlReader
{
    /// <summary>All records of <paramref name="path"/> as tagged character sequences; a file with none is an error.</summary>
    public static IEnumerable<TaggedSentence> Read(string path, string textField = "text", string labelField = "label",
                                                   int maxLineChars = TextLineReader.DefaultMaxLineChars)
    {
        ArgumentException.ThrowIfNullOrEmpty(textField);
        ArgumentException.ThrowIfNullOrEmpty(labelField);
        var lines = TextLineReader.ReadLines(path, maxLineChars);
        return Iterate(lines, path, textField, labelField);
    }

    private static IEnumerable<TaggedSentence> Iterate(IEnumerable<TextLine> lines, string path, string textField, string labelField)
    {
        var any = false;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            TaggedSentence sentence;
            using (var json = JsonLine.ParseObject(line, path))
                sentence = Convert(json.RootElement, path, line.Number, textField, labelField);
            any = true;
            yield return sentence;
        }
        if (!any) throw new DataException($"{path}: empty dataset: no JSON records; expected one {{\"{textField}\": ..., \"{labelField}\": {{TYPE: {{MENTION: [[start, end]]}}}}}} per line.");
    }

    private static TaggedSentence Convert(JsonElement record, string path, int lineNumber, string textField, string labelField)
    {
        var text = JsonLine.RequiredString(record, textField, path, lineNumber);
        var chars = text.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (chars.Length == 0) throw new DataException($"{path}:{lineNumber}: empty '{textField}'; expected text to tag.");
        if (!record.TryGetProperty(labelField, out var label))
            throw new DataException($"{path}:{lineNumber}: missing field '{labelField}'; found fields {JsonLine.FieldList(record)} " +
                                    "(CLUENER's test split has no labels and cannot be read as a labelled dataset).");
        if (label.ValueKind == JsonValueKind.Null) label = default;
        else if (label.ValueKind != JsonValueKind.Object)
            throw new DataException($"{path}:{lineNumber}: field '{labelField}' is a JSON {JsonLine.Describe(label.ValueKind)}; expected an object {{TYPE: {{MENTION: [[start, end]]}}}}.");

        var tags = Enumerable.Repeat("O", chars.Length).ToArray();
        // Which span covers each character, so an overlap can name both spans.
        var owner = new string?[chars.Length];
        if (label.ValueKind == JsonValueKind.Object)
        {
            foreach (var type in label.EnumerateObject())
            {
                if (type.Value.ValueKind != JsonValueKind.Object)
                    throw new DataException($"{path}:{lineNumber}: {labelField}.{type.Name} is a JSON {JsonLine.Describe(type.Value.ValueKind)}; expected an object {{MENTION: [[start, end]]}}.");
                foreach (var mention in type.Value.EnumerateObject())
                {
                    if (mention.Value.ValueKind != JsonValueKind.Array)
                        throw new DataException($"{path}:{lineNumber}: {labelField}.{type.Name}.{mention.Name} is a JSON {JsonLine.Describe(mention.Value.ValueKind)}; expected a list of [start, end] pairs.");
                    foreach (var span in mention.Value.EnumerateArray())
                    {
                        var (start, end) = Span(span, path, lineNumber, type.Name, mention.Name);
                        var what = $"{type.Name} '{mention.Name}' [{start}, {end}]";
                        if (start < 0 || end < start || end >= chars.Length)
                            throw new DataException($"{path}:{lineNumber}: span {what} does not fit the text of {chars.Length} characters; " +
                                                    "expected 0 <= start <= end < length (end inclusive).");
                        var covered = string.Concat(chars[start..(end + 1)]);
                        if (covered != mention.Name)
                            throw new DataException($"{path}:{lineNumber}: span {what} covers '{covered}'; expected the mention '{mention.Name}'.");
                        if (owner[start] == what) continue; // the same span listed twice
                        for (var i = start; i <= end; i++)
                        {
                            if (owner[i] is { } other)
                                throw new DataException($"{path}:{lineNumber}: span {what} overlaps span {other}; expected non-overlapping spans.");
                        }
                        for (var i = start; i <= end; i++)
                        {
                            owner[i] = what;
                            tags[i] = (i == start ? "B-" : "I-") + type.Name;
                        }
                    }
                }
            }
        }
        return new TaggedSentence(chars, tags, path, lineNumber, oneTokenPerLine: false);
    }

    private static (int Start, int End) Span(JsonElement span, string path, int lineNumber, string type, string mention)
    {
        if (span.ValueKind == JsonValueKind.Array && span.GetArrayLength() == 2 &&
            span[0].TryGetInt32(out var start) && span[1].TryGetInt32(out var end))
            return (start, end);
        throw new DataException($"{path}:{lineNumber}: {type} '{mention}' has span {span.GetRawText()}; expected [start, end] integers.");
    }
}
