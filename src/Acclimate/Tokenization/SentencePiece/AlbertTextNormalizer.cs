using Acclimate.Tokenization.Pipeline;
using Acclimate.Tokenization.Unicode;

namespace Acclimate.Tokenization.SentencePiece;

/// <summary>
/// The normalizer and pre-tokenizer transformers' AlbertConverter builds (4.x): replace `` and '' by ",
/// NFKD + drop every combining mark unless keep_accents, lowercase if do_lower_case, then the model's
/// precompiled map; split on whitespace and give every word a leading "▁" (Metaspace, prepend always).
/// </summary>
internal sealed class AlbertTextNormalizer(bool lowercase, bool keepAccents, PrecompiledCharsMap? precompiled)
{
    public const int MetaspaceChar = '\u2581';
    private static readonly int[] Backticks = ['`', '`'];
    private static readonly int[] Apostrophes = ['\'', '\''];
    private static readonly int[] Quote = ['"'];
    private static readonly int[] Metaspace = [MetaspaceChar];

    public bool Lowercase => lowercase;

    public bool KeepAccents => keepAccents;

    public void Normalize(AlignedString s)
    {
        s.Replace(Backticks, Quote);
        s.Replace(Apostrophes, Quote);
        if (!keepAccents)
        {
            s.Decompose(compatibility: true);
            s.Filter(c => !CharRules.IsMark(c));
        }
        if (lowercase)
        {
            s.Lowercase();
        }
        precompiled?.Normalize(s);
    }

    /// <summary>WhitespaceSplit, then Metaspace: ' ' → '▁', prefix '▁' unless already there, split before each '▁'.</summary>
    public static List<AlignedString> PreTokenize(AlignedString s)
    {
        var words = new List<AlignedString>();
        foreach (var chunk in s.Split(s.FindMatches(CharRules.IsWhitespace), SplitBehavior.Removed))
        {
            if (chunk[0] != MetaspaceChar)
            {
                chunk.Prepend(Metaspace);
            }
            words.AddRange(chunk.Split(chunk.FindMatches(c => c == MetaspaceChar), SplitBehavior.MergedWithNext));
        }
        return words;
    }
}
