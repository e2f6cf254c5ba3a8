namespace Acclimate.Data.Datasets;

/// <summary>
/// One sentence of a token-tagging dataset: words and their tag strings exactly as the file has them
/// (scheme conversion — BIO, BIOES, … — belongs to <c>Acclimate.Data.Tagging</c>).
/// </summary>
public sealed record TaggedSentence
{
    /// <summary>A sentence; <paramref name="words"/> and <paramref name="tags"/> must have equal length.</summary>
    public TaggedSentence(IReadOnlyList<string> words, IReadOnlyList<string> tags, string sourceFile, int lineNumber, bool oneTokenPerLine)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(tags);
        if (words.Count != tags.Count)
            throw new ArgumentException($"{words.Count} words but {tags.Count} tags.", nameof(tags));
        Words = words;
        Tags = tags;
        SourceFile = sourceFile;
        LineNumber = lineNumber;
        OneTokenPerLine = oneTokenPerLine;
    }

    /// <summary>The tokens (for character-level data, one character each).</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>One tag per token.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>The file the sentence came from.</summary>
    public string SourceFile { get; }

    /// <summary>1-based line of the sentence's first token (CoNLL) or of its JSON record (JSONL).</summary>
    public int LineNumber { get; }

    /// <summary>True for column files, where token <c>i</c> sits on line <c>LineNumber + i</c>.</summary>
    public bool OneTokenPerLine { get; }

    /// <summary>The line on which token <paramref name="index"/> is written, for error messages.</summary>
    public int TokenLine(int index) => OneTokenPerLine ? LineNumber + index : LineNumber;
}
