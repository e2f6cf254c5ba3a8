using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// Streams the documents of a raw-text corpus: one file or a folder of files (recursive, in ordinal
/// order of relative path so every machine sees the same order), plain text cut by
/// <see cref="CorpusOptions.Mode"/> or JSONL with a text field, either optionally gzip-compressed, or
/// Parquet with a string column. Only the current line (and, for blank-line or per-file documents,
/// the current document; for Parquet, one row group's texts) is held in memory. Hidden files and folders (name starting with '.') are skipped.
/// </summary>
public sealed class CorpusReader
{
    private readonly string _root;
    private readonly bool _rootIsFile;

    /// <summary>Checks that <paramref name="path"/> exists; reading starts on enumeration.</summary>
    public CorpusReader(string path, CorpusOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Options = options ?? new CorpusOptions();
        _rootIsFile = File.Exists(path);
        if (!_rootIsFile && !Directory.Exists(path)) throw new DataException($"{path}: corpus not found (no such file or folder).");
        _root = path;
    }

    /// <summary>The options this reader was built with.</summary>
    public CorpusOptions Options { get; }

    /// <summary>The files of the corpus in reading order.</summary>
    public IReadOnlyList<string> Files()
    {
        if (_rootIsFile) return new[] { _root };
        var search = Options.Recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly;
        return Directory.EnumerateFiles(_root, "*", search)
            .Where(f => !IsHidden(Path.GetRelativePath(_root, f)))
            .OrderBy(f => RelativeId(f), StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// All documents, file by file. Throws <see cref="DataException"/> on the first bad line, and at
    /// the end if the corpus held no document at all.
    /// </summary>
    public IEnumerable<CorpusDocument> Documents()
    {
        var files = Files();
        if (files.Count == 0) throw new DataException($"{_root}: empty corpus: the folder holds no files.");
        var any = false;
        foreach (var file in files)
        {
            foreach (var doc in ReadFile(file))
            {
                any = true;
                yield return doc;
            }
        }
        if (!any)
            throw new DataException($"{_root}: empty corpus: {files.Count} file(s) but no document " +
                                    "(every line blank, or every JSONL text empty); expected at least one non-blank document.");
    }

    private IEnumerable<CorpusDocument> ReadFile(string file)
    {
        var id = RelativeId(file);
        if (Options.Format == CorpusFormat.Parquet || Options.Format == CorpusFormat.Auto && ParquetTextReader.IsParquetName(file))
            return ParquetDocuments(file, id);
        var jsonl = Options.Format == CorpusFormat.Jsonl ||
                    Options.Format == CorpusFormat.Auto && TextLineReader.NameWithoutGz(file).EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        var lines = TextLineReader.ReadLines(file, Options.MaxLineChars);
        if (jsonl) return JsonlDocuments(lines, file, id);
        return Options.Mode switch
        {
            DocumentMode.Line => LineDocuments(lines, file, id),
            DocumentMode.BlankLine => BlockDocuments(lines, file, id),
            _ => FileDocuments(lines, file, id),
        };
    }

    private static IEnumerable<CorpusDocument> LineDocuments(IEnumerable<TextLine> lines, string file, string id)
    {
        foreach (var line in lines)
        {
            var text = line.Text.Trim();
            if (text.Length > 0) yield return new CorpusDocument($"{id}:{line.Number}", text, file, line.Number);
        }
    }

    private static IEnumerable<CorpusDocument> BlockDocuments(IEnumerable<TextLine> lines, string file, string id)
    {
        var block = new System.Text.StringBuilder();
        var start = 0;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line.Text))
            {
                if (block.Length > 0) yield return new CorpusDocument($"{id}:{start}", block.ToString(), file, start);
                block.Clear();
                continue;
            }
            if (block.Length == 0) start = line.Number;
            else block.Append('\n');
            block.Append(line.Text.TrimEnd());
        }
        if (block.Length > 0) yield return new CorpusDocument($"{id}:{start}", block.ToString(), file, start);
    }

    private static IEnumerable<CorpusDocument> FileDocuments(IEnumerable<TextLine> lines, string file, string id)
    {
        var text = new System.Text.StringBuilder();
        var first = 0;
        foreach (var line in lines)
        {
            // Leading blank lines do not start the document; trailing ones are trimmed below.
            if (first == 0 && string.IsNullOrWhiteSpace(line.Text)) continue;
            if (first == 0) first = line.Number;
            else text.Append('\n');
            text.Append(line.Text.TrimEnd());
        }
        var whole = text.ToString().TrimEnd();
        if (whole.Length > 0) yield return new CorpusDocument(id, whole, file, first);
    }

    private IEnumerable<CorpusDocument> JsonlDocuments(IEnumerable<TextLine> lines, string file, string id)
    {
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            string text;
            string? docId;
            using (var json = JsonLine.ParseObject(line, file))
            {
                text = JsonLine.RequiredString(json.RootElement, Options.TextField, file, line.Number);
                docId = Options.IdField is null ? null : JsonLine.OptionalScalar(json.RootElement, Options.IdField, file, line.Number)
                    ?? throw new DataException($"{file}:{line.Number}: missing id field '{Options.IdField}'; found fields {JsonLine.FieldList(json.RootElement)}.");
            }
            if (string.IsNullOrWhiteSpace(text)) continue;
            yield return new CorpusDocument(docId ?? $"{id}:{line.Number}", text, file, line.Number);
        }
    }

    private IEnumerable<CorpusDocument> ParquetDocuments(string file, string id)
    {
        if (Options.IdField is not null)
            throw new DataException($"{file}: an id field ('{Options.IdField}') is read from JSONL only; Parquet documents are named file:row.");
        foreach (var row in ParquetTextReader.ReadColumn(file, Options.TextField))
        {
            // Null and blank cells are skipped, as blank lines and empty JSONL texts are.
            if (string.IsNullOrWhiteSpace(row.Text)) continue;
            var number = row.Row <= int.MaxValue ? (int)row.Row
                : throw new DataException($"{file}: more than {int.MaxValue:N0} rows in one file; split it.");
            yield return new CorpusDocument($"{id}:{number}", row.Text, file, number);
        }
    }

    private string RelativeId(string file) =>
        _rootIsFile ? Path.GetFileName(file) : Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');

    private static bool IsHidden(string relative) =>
        relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Any(part => part.StartsWith('.'));
}
