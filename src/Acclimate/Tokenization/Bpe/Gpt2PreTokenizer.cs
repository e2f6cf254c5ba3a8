using Acclimate.Tokenization.Pipeline;
using Acclimate.Tokenization.Unicode;

namespace Acclimate.Tokenization.Bpe;

/// <summary>
/// GPT-2's split regex <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// evaluated by hand on code points. .NET's Regex classifies UTF-16 units, so a letter outside the BMP
/// (a CJK Extension B ideograph, say) would fall into the "other" class; HF's Oniguruma sees code points.
/// </summary>
internal static class Gpt2PreTokenizer
{
    /// <summary>The regex's matches over <paramref name="s"/>; they tile the whole string.</summary>
    public static List<(int Start, int End, bool IsMatch)> FindMatches(AlignedString s)
    {
        var result = new List<(int, int, bool)>();
        int i = 0;
        while (i < s.Length)
        {
            int end = MatchAt(s, i);
            result.Add((i, end, true));
            i = end;
        }
        return result;
    }

    private static int MatchAt(AlignedString s, int i)
    {
        int n = s.Length;
        int c = s[i];
        if (c == '\'' && i + 1 < n)
        {
            int c1 = s[i + 1];
            if (c1 is 's' or 't' or 'm' or 'd')
            {
                return i + 2;
            }
            if (i + 2 < n && ((c1 == 'r' && s[i + 2] == 'e') || (c1 == 'v' && s[i + 2] == 'e') || (c1 == 'l' && s[i + 2] == 'l')))
            {
                return i + 3;
            }
        }
        foreach (var cls in Classes)
        {
            if (cls(c))
            {
                return Run(s, i, cls);
            }
            if (c == ' ' && i + 1 < n && cls(s[i + 1]))
            {
                return Run(s, i + 1, cls);
            }
        }
        // c is whitespace: \s+(?!\S) leaves the last space for the next word, else \s+.
        int j = Run(s, i, CharRules.IsWhitespace);
        if (j < n && j - 1 > i)
        {
            return j - 1;
        }
        return j;
    }

    private static readonly Func<int, bool>[] Classes =
    [
        CharRules.IsLetter,
        CharRules.IsNumber,
        c => !CharRules.IsWhitespace(c) && !CharRules.IsLetter(c) && !CharRules.IsNumber(c),
    ];

    private static int Run(AlignedString s, int from, Func<int, bool> cls)
    {
        int j = from;
        while (j < s.Length && cls(s[j]))
        {
            j++;
        }
        return j;
    }
}
