using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Data.Corpora;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// A classification file (JSONL, CSV or TSV, read and checked by <see cref="ClassificationReader"/>):
/// the text field is augmented; the label, the text pair and every other field or column are written
/// back unchanged (a pair's second text is not augmented, since changing it can change an NLI label).
/// JSONL records keep their other fields; CSV and TSV keep the header and the other columns.
/// </summary>
internal sealed class ClassificationDataset : AugmentationDataset
{
    private readonly ClassificationExample[] _examples;
    private readonly AugmentableSentence[] _sentences;
    private readonly ClassificationOptions _options;
    private readonly ClassificationFormat _format;
    private readonly Dictionary<int, string> _jsonLines;              // JSONL: line number → raw line
    private readonly Dictionary<int, IReadOnlyList<string>> _records; // CSV/TSV: first line → fields
    private readonly IReadOnlyList<string>? _header;

    // Non-ASCII text stays readable (the default encoder writes \uXXXX for every non-ASCII character).
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private ClassificationDataset(string path, ClassificationOptions options, ClassificationFormat format, ClassificationExample[] examples,
        Dictionary<int, string> jsonLines, Dictionary<int, IReadOnlyList<string>> records, IReadOnlyList<string>? header)
    {
        SourceFile = path;
        _options = options;
        _format = format;
        _examples = examples;
        _sentences = examples.Select(e => AugmentableSentence.FromText(e.Text)).ToArray();
        _jsonLines = jsonLines;
        _records = records;
        _header = header;
    }

    public override string SourceFile { get; }

    public override IReadOnlyList<AugmentableSentence> Sentences => _sentences;

    /// <summary>The examples as the reader returned them (label included).</summary>
    public IReadOnlyList<ClassificationExample> Examples => _examples;

    /// <summary>Reads <paramref name="path"/> with the fine-tuning reader's rules (errors name the file and line).</summary>
    public static ClassificationDataset Read(string path, ClassificationOptions? options = null)
    {
        options ??= new ClassificationOptions();
        if (!File.Exists(path)) throw new DataException($"{path}: input file not found.");
        var examples = ClassificationReader.Read(path, options).ToArray();
        var format = options.Format == ClassificationFormat.Auto ? ClassificationReader.FormatOf(path) : options.Format;
        var jsonLines = new Dictionary<int, string>();
        var records = new Dictionary<int, IReadOnlyList<string>>();
        IReadOnlyList<string>? header = null;
        if (format == ClassificationFormat.Jsonl)
        {
            var wanted = examples.Select(e => e.LineNumber).ToHashSet();
            foreach (var line in TextLineReader.ReadLines(path, options.MaxLineChars))
                if (wanted.Contains(line.Number)) jsonLines[line.Number] = line.Text;
        }
        else
        {
            var separator = format == ClassificationFormat.Csv ? ',' : '\t';
            var quoting = format == ClassificationFormat.Csv || options.TsvQuoting;
            foreach (var record in DelimitedReader.Read(path, separator, quoting, options.MaxLineChars))
            {
                if (header is null) header = record.Fields;
                else records[record.LineNumber] = record.Fields;
            }
        }
        return new ClassificationDataset(path, options, format, examples, jsonLines, records, header);
    }

    public override void Write(string path, IReadOnlyList<IReadOnlyList<AugmentedCopy>> outputs)
    {
        CheckOutputs(outputs);
        AtomicFile.WriteText(path, writer =>
        {
            if (_format == ClassificationFormat.Jsonl)
            {
                for (var e = 0; e < outputs.Count; e++)
                    foreach (var copy in outputs[e])
                    {
                        var raw = _jsonLines[_examples[e].LineNumber];
                        if (copy.Operation is null) { writer.WriteLine(raw.Trim()); continue; }
                        var record = JsonNode.Parse(raw)!.AsObject();
                        record[_options.TextField] = copy.Sentence.Text;
                        writer.WriteLine(record.ToJsonString(Compact));
                    }
                return;
            }
            var separator = _format == ClassificationFormat.Csv ? ',' : '\t';
            var quote = _format == ClassificationFormat.Csv || _options.TsvQuoting;
            var textAt = _header!.Select(h => h.Trim()).ToList().IndexOf(_options.TextField);
            writer.WriteLine(Join(_header!, separator, quote));
            for (var e = 0; e < outputs.Count; e++)
                foreach (var copy in outputs[e])
                {
                    var fields = _records[_examples[e].LineNumber].ToArray();
                    if (copy.Operation is not null) fields[textAt] = copy.Sentence.Text;
                    writer.WriteLine(Join(fields, separator, quote));
                }
        });
    }

    // RFC 4180: a field with the separator, a quote or a line break goes in quotes, inner quotes doubled.
    private static string Join(IReadOnlyList<string> fields, char separator, bool quote) =>
        string.Join(separator, fields.Select(f => quote && (f.Contains(separator) || f.Contains('"') || f.Contains('\n') || f.Contains('\r'))
            ? "\"" + f.Replace("\"", "\"\"") + "\"" : f));
}
