namespace Acclimate.Data.Datasets;

/// <summary>Which columns of a CoNLL file hold the token and the tag; validated as it is built.</summary>
public sealed record ConllOptions
{
    private readonly int _tokenColumn;
    private readonly int _tagColumn = -1;
    private readonly int? _columnCount;
    private readonly int _maxLineChars = Corpora.TextLineReader.DefaultMaxLineChars;
    private readonly ColumnSeparator _separator = ColumnSeparator.Auto;

    /// <summary>0-based token column. Default 0.</summary>
    public int TokenColumn
    {
        get => _tokenColumn;
        init => _tokenColumn = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(TokenColumn), value, "The token column is 0-based and must not be negative.");
    }

    /// <summary>0-based tag column, or negative to count from the end (-1, the default, is the last column).</summary>
    public int TagColumn
    {
        get => _tagColumn;
        init => _tagColumn = value;
    }

    /// <summary>Columns every token line must have; null (default) takes the count of the file's first token line.</summary>
    public int? ColumnCount
    {
        get => _columnCount;
        init => _columnCount = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(ColumnCount), value, "A line has at least one column.");
    }

    /// <summary>Column separator. Default: tabs if the line has any, else spaces.</summary>
    public ColumnSeparator Separator
    {
        get => _separator;
        init => _separator = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Separator), value, "Unknown separator.");
    }

    /// <summary>Longest accepted line in characters.</summary>
    public int MaxLineChars
    {
        get => _maxLineChars;
        init => _maxLineChars = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxLineChars), value, "The line length limit must be at least 1.");
    }
}
