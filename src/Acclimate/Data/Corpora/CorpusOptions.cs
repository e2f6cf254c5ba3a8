namespace Acclimate.Data.Corpora;

/// <summary>How <see cref="CorpusReader"/> finds files and cuts them into documents; validated as it is built.</summary>
public sealed record CorpusOptions
{
    private readonly string _textField = "text";
    private readonly string? _idField;
    private readonly int _maxLineChars = TextLineReader.DefaultMaxLineChars;
    private readonly DocumentMode _mode = DocumentMode.Line;
    private readonly CorpusFormat _format = CorpusFormat.Auto;

    /// <summary>How plain-text files are cut into documents. Default: one document per line.</summary>
    public DocumentMode Mode
    {
        get => _mode;
        init => _mode = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Mode), value, "Unknown document mode.");
    }

    /// <summary>Plain text, JSONL, Parquet, or decided per file by extension (the default).</summary>
    public CorpusFormat Format
    {
        get => _format;
        init => _format = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Format), value, "Unknown corpus format.");
    }

    /// <summary>JSONL: the string field holding the document text; Parquet: the string column. Default <c>text</c>.</summary>
    public string TextField
    {
        get => _textField;
        init => _textField = string.IsNullOrEmpty(value) ? throw new ArgumentException("The JSONL text field name must not be empty.", nameof(TextField)) : value;
    }

    /// <summary>JSONL: an optional field (string or number) used as the document id instead of <c>file:line</c>.</summary>
    public string? IdField
    {
        get => _idField;
        init => _idField = value is { Length: 0 } ? throw new ArgumentException("The JSONL id field name must not be empty; use null for none.", nameof(IdField)) : value;
    }

    /// <summary>Longest accepted line, in characters. Default 1 Mi (<see cref="TextLineReader.DefaultMaxLineChars"/>).</summary>
    public int MaxLineChars
    {
        get => _maxLineChars;
        init => _maxLineChars = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxLineChars), value, "The line length limit must be at least 1.");
    }

    /// <summary>Folder corpora: descend into sub-folders (default true).</summary>
    public bool Recursive { get; init; } = true;
}
