namespace Acclimate.Data.Corpora;

/// <summary>
/// One of the Brown corpus's 500 text samples.
/// </summary>
/// <param name="Id">The file name, e.g. <c>ca01</c>; its second letter is the genre letter.</param>
/// <param name="Genre">The category name from the package's <c>cats.txt</c> (<c>news</c>, <c>editorial</c>, …; see <see cref="BrownGenres"/>).</param>
/// <param name="Text">Detokenized text, one paragraph per line.</param>
/// <param name="Sentences">The tagged sentences in file order.</param>
/// <param name="SourceFile">The file read.</param>
public sealed record BrownDocument(string Id, string Genre, string Text, IReadOnlyList<BrownSentence> Sentences, string SourceFile)
{
    /// <summary>Number of tagged tokens (words and punctuation) in the document.</summary>
    public int TokenCount => Sentences.Sum(s => s.Tokens.Count);

    /// <summary>The document as a corpus document, for continued pretraining on Brown text.</summary>
    public CorpusDocument ToCorpusDocument() => new(Id, Text, SourceFile, Sentences.Count > 0 ? Sentences[0].LineNumber : 1);
}
