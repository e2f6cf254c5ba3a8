using Acclimate.Tokenization.Unicode;

namespace Acclimate.Tokenization.Pipeline;

/// <summary>
/// Cuts raw text into special-token matches and the plain pieces between them, as HF's
/// AddedVocabulary does with its leftmost-longest automaton: the earliest match wins, the longest
/// token among those starting there, and lstrip/rstrip widen a match over adjacent whitespace.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly AddedToken[] _tokens;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        // Longest first, so the first hit at a position is the longest one.
        _tokens = tokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length).ToArray();
    }

    public IReadOnlyList<AddedToken> Tokens => _tokens;

    /// <summary>Pieces of <paramref name="text"/> in order; <c>Token</c> is null for plain text.</summary>
    public List<(int Start, int End, AddedToken? Token)> Split(string text)
    {
        var result = new List<(int, int, AddedToken?)>();
        int pieceStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            var token = MatchAt(text, i);
            if (token is null)
            {
                i++;
                continue;
            }
            int start = i;
            int stop = i + token.Content.Length;
            if (token.LStrip)
            {
                int s = start;
                while (s > pieceStart && IsWhitespaceBefore(text, s, out int width))
                {
                    s -= width;
                }
                start = Math.Max(s, pieceStart);
            }
            if (token.RStrip)
            {
                while (stop < text.Length && IsWhitespaceAt(text, stop, out int width))
                {
                    stop += width;
                }
            }
            if (start > pieceStart)
            {
                result.Add((pieceStart, start, null));
            }
            result.Add((start, stop, token));
            pieceStart = stop;
            i = stop;
        }
        if (pieceStart < text.Length)
        {
            result.Add((pieceStart, text.Length, null));
        }
        return result;
    }

    private AddedToken? MatchAt(string text, int i)
    {
        foreach (var t in _tokens)
        {
            if (i + t.Content.Length <= text.Length && string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0)
            {
                return t;
            }
        }
        return null;
    }

    private static bool IsWhitespaceAt(string text, int i, out int width)
    {
        width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        return CharRules.IsWhitespace(width == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i]);
    }

    private static bool IsWhitespaceBefore(string text, int end, out int width)
    {
        width = end >= 2 && char.IsLowSurrogate(text[end - 1]) && char.IsHighSurrogate(text[end - 2]) ? 2 : 1;
        return CharRules.IsWhitespace(width == 2 ? char.ConvertToUtf32(text[end - 2], text[end - 1]) : text[end - 1]);
    }
}
