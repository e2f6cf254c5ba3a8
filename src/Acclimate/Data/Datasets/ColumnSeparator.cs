namespace Acclimate.Data.Datasets;

/// <summary>How the columns of a CoNLL line are separated.</summary>
public enum ColumnSeparator
{
    /// <summary>Tabs when the line has one, else runs of spaces (each line decides for itself).</summary>
    Auto,

    /// <summary>Tab characters only, so a token may contain spaces.</summary>
    Tab,

    /// <summary>Runs of ASCII spaces and tabs.</summary>
    Space,
}
