using Acclimate.Data.Datasets;
using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// The texts of a small input file, read whole, as <c>embed</c> and <c>select</c> take them: a
/// <c>.conll</c> file gives its sentences, words joined by spaces, in file order (so per-line outputs
/// line up with the sentences); anything else is read by <see cref="TextRecordReader"/>: a
/// <c>.jsonl</c> file holds one JSON object with a text field per line (blank lines skipped, a line
/// without the field is an error naming it), a <c>.parquet</c> file a text column (a null cell is an
/// empty text), any other file is plain text, one text per line, taken as it is (a line that happens
/// to start with '{' is text); <c>.txt.gz</c> and <c>.jsonl.gz</c> are decompressed.
/// </summary>
public static class InputTexts
{
    /// <summary>Every text of <paramref name="path"/>, in file order; an empty file is an error.</summary>
    /// <param name="textField">The JSONL field or Parquet column holding the text.</param>
    public static IReadOnlyList<string> Read(string path, string textField = "text")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataException($"{path}: input file not found.");
        if (path.EndsWith(".conll", StringComparison.OrdinalIgnoreCase))
        {
            var sentences = ConllReader.Read(path).Select(s => string.Join(' ', s.Words)).ToList();
            return sentences.Count > 0 ? sentences : throw new DataException($"{path}: no sentences to read.");
        }
        var texts = TextRecordReader.Read(path, textField).ToList();
        if (texts.Count == 0) throw new DataException($"{path}: no lines to read.");
        return texts;
    }
}
