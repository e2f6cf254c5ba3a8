namespace Acclimate.Data.Datasets;

/// <summary>The file format of a classification dataset.</summary>
public enum ClassificationFormat
{
    /// <summary>From the extension: <c>.csv</c>, <c>.tsv</c>, anything else JSONL (a trailing <c>.gz</c> is looked through).</summary>
    Auto,

    /// <summary>One JSON object per line.</summary>
    Jsonl,

    /// <summary>Comma-separated with a header row, RFC 4180 quoting.</summary>
    Csv,

    /// <summary>Tab-separated with a header row; no quoting unless <see cref="ClassificationOptions.TsvQuoting"/> is set.</summary>
    Tsv,
}
