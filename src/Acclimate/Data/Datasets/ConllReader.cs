using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Data.Datasets;

/// <summary>
/// Streams sentences from a CoNLL column file: one token per line, blank lines between sentences,
/// <c>-DOCSTART-</c> lines skipped (they also end a sentence). Every token line must have the same
/// number of columns as the first one; a line that differs is an error naming the file and line.
/// </summary>
public static class ConllReader
{
    /// <summary>The document separator of CoNLL-2003-style files.</summary>
    public const string DocStart = "-DOCSTART-";

    /// <summary>All sentences of <paramref name="path"/>; a file with none is an error.</summary>
    public static IEnumerable<TaggedSentence> Read(string path, ConllOptions? options = null)
    {
        options ??= new ConllOptions();
        var lines = TextLineReader.ReadLines(path, options.MaxLineChars);
        return Iterate(lines, path, options);
    }

    private static IEnumerable<TaggedSentence> Iterate(IEnumerable<TextLine> lines, string path, ConllOptions options)
    {
        var expected = options.ColumnCount;
        var firstTokenLine = 0;
        int tokenColumn = 0, tagColumn = 0;
        var words = new List<string>();
        var tags = new List<string>();
        var start = 0;
        var any = false;

        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line.Text))
            {
                if (words.Count > 0)
                {
                    any = true;
                    yield return new TaggedSentence(words.ToArray(), tags.ToArray(), path, start, oneTokenPerLine: true);
                    words.Clear();
                    tags.Clear();
                }
                continue;
            }
            var columns = Split(line.Text, options.Separator);
            if (columns[0] == DocStart)
            {
                if (words.Count > 0)
                {
                    any = true;
                    yield return new TaggedSentence(words.ToArray(), tags.ToArray(), path, start, oneTokenPerLine: true);
                    words.Clear();
                    tags.Clear();
                }
                continue;
            }
            if (firstTokenLine == 0)
            {
                firstTokenLine = line.Number;
                expected ??= columns.Length;
                tokenColumn = options.TokenColumn;
                tagColumn = options.TagColumn >= 0 ? options.TagColumn : expected.Value + options.TagColumn;
                if (tokenColumn >= expected || tagColumn < 0 || tagColumn >= expected)
                    throw new DataException($"{path}:{line.Number}: token column {options.TokenColumn} and tag column {options.TagColumn} " +
                                            $"do not both exist in a line of {expected} column(s).");
            }
            if (columns.Length != expected)
            {
                var reference = options.ColumnCount is null ? $" (as on line {firstTokenLine})" : "";
                throw new DataException($"{path}:{line.Number}: found {columns.Length} column(s) in '{JsonLine.Excerpt(line.Text)}'; expected {expected}{reference}.");
            }
            var word = columns[tokenColumn];
            var tag = columns[tagColumn];
            if (word.Length == 0) throw new DataException($"{path}:{line.Number}: empty token in column {tokenColumn}; expected a token.");
            if (tag.Length == 0) throw new DataException($"{path}:{line.Number}: empty tag in column {tagColumn}; expected a tag.");
            if (words.Count == 0) start = line.Number;
            words.Add(word);
            tags.Add(tag);
        }
        if (words.Count > 0)
        {
            any = true;
            yield return new TaggedSentence(words.ToArray(), tags.ToArray(), path, start, oneTokenPerLine: true);
        }
        if (!any) throw new DataException($"{path}: empty dataset: no token lines; expected 'token<TAB>tag' lines with blank lines between sentences.");
    }

    /// <summary>Splits on tabs or on runs of spaces; only ASCII separators, so tokens such as U+3000 survive.</summary>
    private static string[] Split(string line, ColumnSeparator separator)
    {
        var trimmed = line.TrimEnd(' ', '\t');
        var useTab = separator == ColumnSeparator.Tab || separator == ColumnSeparator.Auto && trimmed.Contains('\t');
        return useTab
            ? trimmed.Split('\t')
            : trimmed.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
    }
}
