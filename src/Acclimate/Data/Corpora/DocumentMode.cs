namespace Acclimate.Data.Corpora;

/// <summary>How a plain-text file is cut into documents (JSONL files always hold one document per line).</summary>
public enum DocumentMode
{
    /// <summary>Every non-blank line is a document (corpus.txt files, one post or abstract per line).</summary>
    Line,

    /// <summary>Runs of non-blank lines separated by blank lines are documents (paragraph-per-document text).</summary>
    BlankLine,

    /// <summary>A whole file is one document (a folder of articles).</summary>
    File,
}
