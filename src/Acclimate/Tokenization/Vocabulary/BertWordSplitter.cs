using System.Runtime.InteropServices;
using Acclimate.Tokenization.Pipeline;
using Acclimate.Tokenization.WordPiece;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>
/// The words BERT's tokenizer hands to WordPiece: the text normalized by BertNormalizer, then split
/// by BertPreTokenizer. <see cref="Words"/> runs the very code <c>WordPieceTextTokenizer</c> runs,
/// so a trained or extended vocabulary sees exactly the words the tokenizer will later look up.
/// <see cref="CountInto"/> takes a faster route for pure-ASCII text (same result, checked by tests)
/// and counts without allocating a string per known word.
/// </summary>
public sealed class BertWordSplitter
{
    private readonly BertTextNormalizer _normalizer;

    /// <summary>A splitter with tokenizer_config.json's settings (do_lower_case, strip_accents, tokenize_chinese_chars).</summary>
    public BertWordSplitter(bool lowercase, bool stripAccents, bool tokenizeChineseChars) =>
        _normalizer = new BertTextNormalizer(lowercase, stripAccents, tokenizeChineseChars);

    internal BertWordSplitter(BertTextNormalizer normalizer) => _normalizer = normalizer;

    /// <summary>The normalized words of <paramref name="text"/>, in order.</summary>
    public IEnumerable<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) yield break;
        var s = AlignedString.FromOriginal(text, 0, text.Length);
        _normalizer.Normalize(s);
        foreach (var word in BertTextNormalizer.PreTokenize(s))
        {
            if (word.Length > 0) yield return word.ToString();
        }
    }

    /// <summary>Adds one to <paramref name="counts"/> for every word of <paramref name="text"/>; returns the number of words.</summary>
    public long CountInto(string text, Dictionary<string, long> counts)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(counts);
        if (!System.Text.Ascii.IsValid(text))
        {
            long n = 0;
            foreach (var word in Words(text))
            {
                CollectionsMarshal.GetValueRefOrAddDefault(counts, word, out _)++;
                n++;
            }
            return n;
        }
        return CountAscii(text, counts);
    }

    /// <summary>
    /// BertNormalizer + BertPreTokenizer restricted to ASCII: NUL and the other C0 controls and DEL
    /// are dropped (tab, newline, carriage return become spaces), A-Z lowercased when asked; accent
    /// stripping and CJK padding change nothing in ASCII. Words split at spaces, and each ASCII
    /// punctuation character (!-/ :-@ [-` {-~) is a word of its own.
    /// </summary>
    private long CountAscii(string text, Dictionary<string, long> counts)
    {
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        bool lowercase = _normalizer.Lowercase;
        long words = 0;
        Span<char> buffer = text.Length <= 512 ? stackalloc char[text.Length] : new char[text.Length];
        int n = 0;
        foreach (char c in text)
        {
            if (c is '\t' or '\n' or '\r' or ' ') buffer[n++] = ' ';
            else if (c < 0x20 || c == 0x7F) continue;
            else buffer[n++] = lowercase && c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
        }
        int start = -1;
        for (int i = 0; i <= n; i++)
        {
            char c = i < n ? buffer[i] : ' ';
            bool punctuation = c is (>= '!' and <= '/') or (>= ':' and <= '@') or (>= '[' and <= '`') or (>= '{' and <= '~');
            if (c == ' ' || punctuation)
            {
                if (start >= 0)
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(lookup, buffer[start..i], out _)++;
                    words++;
                    start = -1;
                }
                if (punctuation)
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(lookup, buffer.Slice(i, 1), out _)++;
                    words++;
                }
            }
            else if (start < 0) start = i;
        }
        return words;
    }

    /// <summary>Number of code points of <paramref name="word"/>.</summary>
    internal static int CodePoints(string word)
    {
        int n = 0;
        foreach (var _ in word.EnumerateRunes()) n++;
        return n;
    }
}
