using Acclimate.Tokenization.Pipeline;
using Acclimate.Tokenization.WordPiece;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>
/// The words BERT's tokenizer hands to WordPiece: the text normalized by BertNormalizer, then split
/// by BertPreTokenizer. The very same code as <c>WordPieceTextTokenizer</c>, so a trained or extended
/// vocabulary sees exactly the words the tokenizer will later look up.
/// </summary>
internal sealed class WordSplitter
{
    private readonly BertTextNormalizer _normalizer;

    public WordSplitter(bool lowercase, bool stripAccents, bool tokenizeChineseChars) =>
        _normalizer = new BertTextNormalizer(lowercase, stripAccents, tokenizeChineseChars);

    internal WordSplitter(BertTextNormalizer normalizer) => _normalizer = normalizer;

    public IEnumerable<string> Words(string text)
    {
        if (text.Length == 0) yield break;
        var s = AlignedString.FromOriginal(text, 0, text.Length);
        _normalizer.Normalize(s);
        foreach (var word in BertTextNormalizer.PreTokenize(s))
        {
            if (word.Length > 0) yield return word.ToString();
        }
    }

    /// <summary>Number of code points of <paramref name="word"/>.</summary>
    public static int CodePoints(string word)
    {
        int n = 0;
        foreach (var _ in word.EnumerateRunes()) n++;
        return n;
    }
}
