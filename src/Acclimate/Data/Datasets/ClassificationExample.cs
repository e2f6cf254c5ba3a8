namespace Acclimate.Data.Datasets;

/// <summary>
/// One example of a (pair) classification dataset.
/// </summary>
/// <param name="Text">The text to classify (first segment).</param>
/// <param name="TextPair">The second segment for pair tasks, or null.</param>
/// <param name="Label">The label as written in the file (numbers stay their text, e.g. "3").</param>
/// <param name="SourceFile">The file the example came from.</param>
/// <param name="LineNumber">1-based line where the record starts.</param>
public sealed record ClassificationExample(string Text, string? TextPair, string Label, string SourceFile, int LineNumber);
