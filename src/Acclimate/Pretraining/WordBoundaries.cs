using Acclimate.Errors;

namespace Acclimate.Pretraining;

/// <summary>
/// Groups a sequence's tokens into words for whole-word masking, from the vocabulary's token
/// strings and its <see cref="SubwordScheme"/>. A word never spans a special token: the first
/// token after a special token (or at the start) always starts a word, whatever its string says —
/// which is what makes byte-level BPE's first word (no leading <c>Ġ</c>) a word of its own.
/// Per-sequence continuation positions (the Chinese reference file) are added on top.
/// </summary>
public sealed class WordBoundaries
{
    private readonly bool[] _continues;

    /// <param name="vocabulary">Token string of every id (index = id).</param>
    /// <param name="scheme">How token strings mark word starts.</param>
    public WordBoundaries(IReadOnlyList<string> vocabulary, SubwordScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _continues = new bool[vocabulary.Count];
        for (var id = 0; id < vocabulary.Count; id++)
            _continues[id] = ContinuesWord(vocabulary[id] ?? "", scheme);
        Scheme = scheme;
    }

    /// <summary>
    /// Boundaries from a caller's predicate (for a vocabulary whose scheme is none of the three),
    /// evaluated once per id.
    /// </summary>
    public WordBoundaries(int vocabularySize, Func<int, bool> continuesWord)
    {
        ArgumentNullException.ThrowIfNull(continuesWord);
        _continues = new bool[vocabularySize];
        for (var id = 0; id < vocabularySize; id++) _continues[id] = continuesWord(id);
    }

    /// <summary>The scheme the boundaries were built from, or null for a custom predicate.</summary>
    public SubwordScheme? Scheme { get; }

    /// <summary>Vocabulary size the boundaries cover.</summary>
    public int VocabularySize => _continues.Length;

    /// <summary>Whether the token's string marks it as continuing the previous token's word.</summary>
    public bool ContinuesWord(int id)
    {
        if ((uint)id >= (uint)_continues.Length)
            throw new DataException($"token id {id} is outside the vocabulary of {_continues.Length} tokens given for whole-word masking.");
        return _continues[id];
    }

    /// <summary>The rule for one token string.</summary>
    public static bool ContinuesWord(string token, SubwordScheme scheme) => scheme switch
    {
        SubwordScheme.WordPiece => token.StartsWith("##", StringComparison.Ordinal),
        SubwordScheme.ByteLevelBpe => !token.StartsWith('\u0120'),
        SubwordScheme.SentencePiece => !token.StartsWith('\u2581'),
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, null),
    };

    /// <summary>
    /// The words of one sequence: each is the list of its positions, in order. Special tokens
    /// belong to no word. <paramref name="continuationPositions"/> marks extra positions that
    /// continue the previous word (HF's Chinese reference; positions index <paramref name="ids"/>).
    /// </summary>
    public List<List<int>> Words(IReadOnlyList<int> ids, SpecialTokenIds specials, IReadOnlyList<int>? continuationPositions = null)
    {
        HashSet<int>? extra = null;
        if (continuationPositions is not null)
        {
            extra = new HashSet<int>();
            foreach (var p in continuationPositions)
            {
                if (p < 0 || p >= ids.Count)
                    throw new DataException($"whole-word reference position {p} is outside the sequence of {ids.Count} tokens " +
                                            "(reference positions index the token ids including special tokens).");
                extra.Add(p);
            }
        }
        var words = new List<List<int>>();
        var afterBoundary = true;   // sequence start or just after a special token
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            if (specials.IsSpecial(id)) { afterBoundary = true; continue; }
            var continues = !afterBoundary && (ContinuesWord(id) || (extra?.Contains(i) ?? false));
            if (continues) words[^1].Add(i);
            else words.Add(new List<int> { i });
            afterBoundary = false;
        }
        return words;
    }
}
