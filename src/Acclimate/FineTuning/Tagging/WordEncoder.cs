using Acclimate.Tokenization;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// Tokenizes pre-split words (CoNLL tokens, characters of Chinese text) into subwords, each word
/// on its own as HF does with <c>is_split_into_words</c>, and builds model inputs with the
/// tokenizer's [CLS]/[SEP] around them. A word the tokenizer turns into nothing (a control
/// character) becomes [UNK], so every word has a first subword to be predicted from. Pieces are
/// cached per distinct word.
/// </summary>
internal sealed class WordEncoder
{
    private static readonly EncodeOptions NoSpecials = new() { AddSpecialTokens = false };
    private readonly ITextTokenizer _tokenizer;
    private readonly Dictionary<string, long[]> _cache = new(StringComparer.Ordinal);

    public WordEncoder(ITextTokenizer tokenizer, int maxLength)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        if (maxLength < 3) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "a model input needs room for [CLS], one token and [SEP].");
        MaxLength = maxLength;
        Prefix = new long[] { tokenizer.ClsTokenId };
        Suffix = new long[] { tokenizer.SepTokenId };
    }

    public ITextTokenizer Tokenizer => _tokenizer;

    /// <summary>Longest input in tokens, special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>Content tokens that fit in one input.</summary>
    public int ContentLength => MaxLength - Prefix.Count - Suffix.Count;

    public IReadOnlyList<long> Prefix { get; }

    public IReadOnlyList<long> Suffix { get; }

    /// <summary>The subword ids of one word (at least one).</summary>
    public long[] Pieces(string word)
    {
        if (_cache.TryGetValue(word, out var cached)) return cached;
        var ids = _tokenizer.Encode(word, null, NoSpecials).Ids;
        var pieces = ids.Count == 0 ? new long[] { _tokenizer.UnkTokenId } : ids.Select(i => (long)i).ToArray();
        _cache[word] = pieces;
        return pieces;
    }

    /// <summary>The content tokens of words [from, to) without special tokens, with word ids relative to <paramref name="from"/>.</summary>
    public LabelerInput Content(IReadOnlyList<string> words, int from = 0, int? to = null)
    {
        var end = to ?? words.Count;
        var ids = new List<long>();
        var wordIds = new List<int?>();
        for (var w = from; w < end; w++)
            foreach (var piece in Pieces(words[w]))
            {
                ids.Add(piece);
                wordIds.Add(w - from);
            }
        return new LabelerInput(ids, wordIds, end - from);
    }

    /// <summary>[CLS] content [SEP] for words [from, to); may be longer than <see cref="MaxLength"/> (see <see cref="Chunks"/>).</summary>
    public LabelerInput Encode(IReadOnlyList<string> words, int from = 0, int? to = null)
    {
        var content = Content(words, from, to);
        var ids = Prefix.Concat(content.InputIds).Concat(Suffix).ToArray();
        var wordIds = Enumerable.Repeat<int?>(null, Prefix.Count).Concat(content.WordIds).Concat(Enumerable.Repeat<int?>(null, Suffix.Count)).ToArray();
        return new LabelerInput(ids, wordIds, content.WordCount);
    }

    /// <summary>True when the words fit in one input.</summary>
    public bool Fits(IReadOnlyList<string> words) => words.Sum(w => Pieces(w).Length) <= ContentLength;

    /// <summary>
    /// Consecutive word ranges [From, To) whose tokens fit in one input, for training on long
    /// sentences; a single word longer than an input keeps a range of its own (its extra pieces are
    /// cut by <see cref="EncodeTruncated"/>).
    /// </summary>
    public IReadOnlyList<(int From, int To)> Chunks(IReadOnlyList<string> words)
    {
        var chunks = new List<(int, int)>();
        var start = 0;
        var used = 0;
        for (var w = 0; w < words.Count; w++)
        {
            var n = Pieces(words[w]).Length;
            if (used + n > ContentLength && w > start)
            {
                chunks.Add((start, w));
                start = w;
                used = 0;
            }
            used += n;
        }
        if (words.Count > start) chunks.Add((start, words.Count));
        return chunks;
    }

    /// <summary>Like <see cref="Encode"/>, dropping trailing pieces beyond <see cref="MaxLength"/> (only a single over-long word needs it).</summary>
    public LabelerInput EncodeTruncated(IReadOnlyList<string> words, int from, int to)
    {
        var input = Encode(words, from, to);
        if (input.InputIds.Count <= MaxLength) return input;
        var keep = MaxLength - Suffix.Count;
        var ids = input.InputIds.Take(keep).Concat(Suffix).ToArray();
        var wordIds = input.WordIds.Take(keep).Concat(Enumerable.Repeat<int?>(null, Suffix.Count)).ToArray();
        return new LabelerInput(ids, wordIds, input.WordCount);
    }
}
