using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Data.Datasets;

/// <summary>
/// Streams classification examples (<c>text</c>, optional <c>text_pair</c>, <c>label</c>) from JSONL,
/// CSV (RFC 4180, header row required) or TSV (header row required). Missing text or label, an empty
/// label, a row with the wrong number of fields, or a file with no example is an error naming the file
/// and line.
/// </summary>
internal static class ClassificationReader
{
    /// <summary>All examples of <paramref name="path"/>.</summary>
    public static IEnumerable<ClassificationExample> Read(string path, ClassificationOptions? options = null)
    {
        options ??= new ClassificationOptions();
        var format = options.Format == ClassificationFormat.Auto ? FormatOf(path) : options.Format;
        var examples = format switch
        {
            ClassificationFormat.Csv => Delimited(path, ',', quoting: true, options),
            ClassificationFormat.Tsv => Delimited(path, '\t', options.TsvQuoting, options),
            _ => Jsonl(path, options),
        };
        return NonEmpty(examples, path);
    }

    /// <summary>The format an extension implies (<c>.csv</c>, <c>.tsv</c>, else JSONL), looking through <c>.gz</c>.</summary>
    public static ClassificationFormat FormatOf(string path)
    {
        var name = TextLineReader.NameWithoutGz(path);
        if (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return ClassificationFormat.Csv;
        if (name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)) return ClassificationFormat.Tsv;
        return ClassificationFormat.Jsonl;
    }

    private static IEnumerable<ClassificationExample> NonEmpty(IEnumerable<ClassificationExample> examples, string path)
    {
        var any = false;
        foreach (var example in examples)
        {
            any = true;
            yield return example;
        }
        if (!any) throw new DataException($"{path}: empty dataset: no examples; expected at least one record with a text and a label.");
    }

    private static IEnumerable<ClassificationExample> Jsonl(string path, ClassificationOptions options)
    {
        foreach (var line in TextLineReader.ReadLines(path, options.MaxLineChars))
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            ClassificationExample example;
            using (var json = JsonLine.ParseObject(line, path))
            {
                var obj = json.RootElement;
                var text = JsonLine.RequiredString(obj, options.TextField, path, line.Number);
                var pair = options.TextPairField is null ? null : JsonLine.OptionalScalar(obj, options.TextPairField, path, line.Number);
                var label = JsonLine.OptionalScalar(obj, options.LabelField, path, line.Number)
                    ?? throw new DataException($"{path}:{line.Number}: missing field '{options.LabelField}'; found fields {JsonLine.FieldList(obj)}.");
                example = Make(text, pair, label, path, line.Number, options);
            }
            yield return example;
        }
    }

    private static IEnumerable<ClassificationExample> Delimited(string path, char separator, bool quoting, ClassificationOptions options)
    {
        int textAt = -1, pairAt = -1, labelAt = -1, width = 0, headerLine = 0;
        foreach (var record in DelimitedReader.Read(path, separator, quoting, options.MaxLineChars))
        {
            if (headerLine == 0)
            {
                headerLine = record.LineNumber;
                var header = record.Fields.Select(f => f.Trim()).ToList();
                width = header.Count;
                textAt = header.IndexOf(options.TextField);
                labelAt = header.IndexOf(options.LabelField);
                pairAt = options.TextPairField is null ? -1 : header.IndexOf(options.TextPairField);
                if (textAt < 0 || labelAt < 0)
                {
                    var missing = textAt < 0 ? options.TextField : options.LabelField;
                    throw new DataException($"{path}:{record.LineNumber}: header row has no '{missing}' column; found columns " +
                                            $"{string.Join(", ", header.Select(h => "'" + h + "'"))}. A header row naming '{options.TextField}' and '{options.LabelField}' is required.");
                }
                continue;
            }
            if (record.Fields.Count != width)
                throw new DataException($"{path}:{record.LineNumber}: found {record.Fields.Count} field(s); expected {width} as in the header row (line {headerLine}).");
            var pair = pairAt < 0 ? null : record.Fields[pairAt];
            yield return Make(record.Fields[textAt], pair, record.Fields[labelAt], path, record.LineNumber, options);
        }
    }

    private static ClassificationExample Make(string text, string? pair, string label, string path, int lineNumber, ClassificationOptions options)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new DataException($"{path}:{lineNumber}: empty '{options.TextField}'; expected text to classify.");
        label = label.Trim();
        if (label.Length == 0) throw new DataException($"{path}:{lineNumber}: empty '{options.LabelField}'; expected a label.");
        return new ClassificationExample(text, string.IsNullOrEmpty(pair) ? null : pair, label, path, lineNumber);
    }
}
