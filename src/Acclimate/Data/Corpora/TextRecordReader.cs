namespace Acclimate.Data.Corpora;

/// <summary>
/// The texts of one input file as a stream of records, for tools that number their inputs (selection
/// pools, targets, texts to embed): a plain-text file gives every line, blank ones included, so record
/// i is line i+1; a <c>.jsonl</c> file gives the text field of every non-blank line; a <c>.parquet</c>
/// file gives the text column of every row (a null cell as an empty text, so record i is row i+1).
/// Plain text and JSONL may be gzip-compressed (<c>.txt.gz</c>, <c>.jsonl.gz</c>). Nothing is held
/// beyond the current line (Parquet: the current row group's column), so pools of any size stream.
/// </summary>
public static class TextRecordReader
{
    /// <summary>Which reader a file name selects.</summary>
    public static CorpusFormat FormatOf(string path) =>
        ParquetTextReader.IsParquetName(path) ? CorpusFormat.Parquet
        : TextLineReader.NameWithoutGz(path).EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? CorpusFormat.Jsonl
        : CorpusFormat.Text;

    /// <summary>The records of <paramref name="path"/>, read lazily (the file is opened when enumeration starts).</summary>
    /// <param name="textField">JSONL field or Parquet column holding the text.</param>
    public static IEnumerable<string> Read(string path, string textField = "text", int maxLineChars = TextLineReader.DefaultMaxLineChars)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(textField);
        return FormatOf(path) switch
        {
            CorpusFormat.Parquet => ParquetTextReader.ReadColumn(path, textField).Select(r => r.Text ?? ""),
            CorpusFormat.Jsonl => JsonlTexts(TextLineReader.ReadLines(path, maxLineChars), path, textField),
            _ => TextLineReader.ReadLines(path, maxLineChars).Select(l => l.Text),
        };
    }

    private static IEnumerable<string> JsonlTexts(IEnumerable<TextLine> lines, string path, string field)
    {
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            using var json = JsonLine.ParseObject(line, path);
            yield return JsonLine.RequiredString(json.RootElement, field, path, line.Number);
        }
    }
}
