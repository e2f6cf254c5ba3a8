namespace Acclimate.Data.Corpora;

/// <summary>
/// One document of a raw-text corpus.
/// </summary>
/// <param name="Id">Stable identifier: the file's path relative to the corpus root, plus <c>:line</c>
/// when a file holds several documents (or the value of the JSONL id field when one is configured).
/// Ids do not depend on the machine, so hash-based splits are the same everywhere.</param>
/// <param name="Text">The document text; lines inside it are joined with <c>\n</c>.</param>
/// <param name="SourceFile">The file the document came from, as given or found on disk.</param>
/// <param name="LineNumber">1-based line where the document starts in <paramref name="SourceFile"/> (for Parquet, its 1-based row).</param>
public sealed record CorpusDocument(string Id, string Text, string SourceFile, int LineNumber);
