using Acclimate.Tokenization.Pipeline;
using Acclimate.Tokenization.Unicode;

namespace Acclimate.Tokenization.WordPiece;

/// <summary>
/// HuggingFace's BertNormalizer: drop NUL, U+FFFD and control characters, turn whitespace into
/// spaces, pad CJK ideographs with spaces, optionally NFD + drop nonspacing marks, optionally lowercase.
/// </summary>
internal sealed record BertTextNormalizer(bool Lowercase, bool StripAccents, bool HandleChineseChars)
{
    public void Normalize(AlignedString s)
    {
        s.Filter(c => !(c == 0 || c == 0xFFFD || CharRules.IsBertControl(c)));
        s.Map(c => CharRules.IsBertWhitespace(c) ? ' ' : c);
        if (HandleChineseChars)
        {
            s.Expand(c => CharRules.IsChineseChar(c) ? [' ', c, ' '] : null);
        }
        if (StripAccents)
        {
            s.Decompose(compatibility: false);
            s.Filter(c => !CharRules.IsNonspacingMark(c));
        }
        if (Lowercase)
        {
            s.Lowercase();
        }
    }

    /// <summary>BertPreTokenizer: split on whitespace (dropped), then isolate every punctuation character.</summary>
    public static List<AlignedString> PreTokenize(AlignedString s)
    {
        var words = new List<AlignedString>();
        foreach (var chunk in s.Split(s.FindMatches(CharRules.IsWhitespace), SplitBehavior.Removed))
        {
            words.AddRange(chunk.Split(chunk.FindMatches(CharRules.IsBertPunctuation), SplitBehavior.Isolated));
        }
        return words;
    }
}
