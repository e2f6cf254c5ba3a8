namespace Acclimate.Data.Datasets;

/// <summary>Field names and format of a classification dataset; validated as it is built.</summary>
public sealed record ClassificationOptions
{
    private readonly string _textField = "text";
    private readonly string? _textPairField = "text_pair";
    private readonly string _labelField = "label";
    private readonly ClassificationFormat _format = ClassificationFormat.Auto;
    private readonly int _maxLineChars = Corpora.TextLineReader.DefaultMaxLineChars;

    /// <summary>Field / column of the text. Default <c>text</c>.</summary>
    public string TextField
    {
        get => _textField;
        init => _textField = NonEmpty(value, nameof(TextField));
    }

    /// <summary>Optional field / column of the second segment. Default <c>text_pair</c>; null ignores pairs.</summary>
    public string? TextPairField
    {
        get => _textPairField;
        init => _textPairField = value is null ? null : NonEmpty(value, nameof(TextPairField));
    }

    /// <summary>Field / column of the label. Default <c>label</c>.</summary>
    public string LabelField
    {
        get => _labelField;
        init => _labelField = NonEmpty(value, nameof(LabelField));
    }

    /// <summary>File format; by extension by default.</summary>
    public ClassificationFormat Format
    {
        get => _format;
        init => _format = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Format), value, "Unknown format.");
    }

    /// <summary>
    /// TSV files: honour RFC 4180 double quotes as CSV does. Off by default because most TSV datasets
    /// (GLUE and friends) write quote characters literally inside unquoted text.
    /// </summary>
    public bool TsvQuoting { get; init; }

    /// <summary>Longest accepted line (JSONL) or record (CSV/TSV) in characters.</summary>
    public int MaxLineChars
    {
        get => _maxLineChars;
        init => _maxLineChars = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxLineChars), value, "The line length limit must be at least 1.");
    }

    private static string NonEmpty(string value, string name) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException("A field name must not be empty.", name) : value;
}
