namespace Acclimate.Data.Corpora;

/// <summary>What the files of a corpus contain.</summary>
public enum CorpusFormat
{
    /// <summary>Decide per file: <c>.jsonl</c> (also <c>.jsonl.gz</c>) is JSONL, <c>.parquet</c> Parquet, anything else plain text.</summary>
    Auto,

    /// <summary>Plain UTF-8 text, cut into documents by <see cref="DocumentMode"/>.</summary>
    Text,

    /// <summary>One JSON object per line; the document text is one string field of it.</summary>
    Jsonl,

    /// <summary>Apache Parquet; the document text is one string column (a HuggingFace dataset's parquet files as they are).</summary>
    Parquet,
}
