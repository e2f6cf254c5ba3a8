using Acclimate.Errors;

namespace Acclimate.Tokenization.Pipeline;

/// <summary>
/// What the three tokenizer kinds share, in HuggingFace's order: split the raw text on special
/// tokens, hand each plain piece to the kind's normalizer + pre-tokenizer + model
/// (<see cref="EncodePiece"/>), truncate, then wrap in the special-token template.
/// </summary>
internal abstract class TextTokenizerBase : ITextTokenizer
{
    private readonly AddedTokenSplitter _splitter;

    protected TextTokenizerBase(SpecialTokenSet specials, IEnumerable<AddedToken> addedTokens, bool robertaPairTemplate)
    {
        Specials = specials;
        _splitter = new AddedTokenSplitter(addedTokens);
        RobertaPairTemplate = robertaPairTemplate;
    }

    protected SpecialTokenSet Specials { get; }

    /// <summary>True for RoBERTa's &lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt; with all type ids 0; false for [CLS] A [SEP] B [SEP] with B typed 1.</summary>
    private bool RobertaPairTemplate { get; }

    internal IReadOnlyList<AddedToken> AddedTokens => _splitter.Tokens;

    public abstract TokenizerKind Kind { get; }
    public abstract int VocabSize { get; }
    public string ClsToken => Specials.Cls.Content;
    public string SepToken => Specials.Sep.Content;
    public string PadToken => Specials.Pad.Content;
    public string MaskToken => Specials.Mask.Content;
    public string UnkToken => Specials.Unk.Content;
    public int ClsTokenId => Specials.Cls.Id;
    public int SepTokenId => Specials.Sep.Id;
    public int PadTokenId => Specials.Pad.Id;
    public int MaskTokenId => Specials.Mask.Id;
    public int UnkTokenId => Specials.Unk.Id;
    public IReadOnlySet<int> SpecialTokenIds => Specials.Ids;

    public abstract string IdToToken(int id);
    public abstract int? TokenToId(string token);
    public abstract void SaveTo(string folder);

    /// <summary>Normalizes, pre-tokenizes and tokenizes one plain piece; <paramref name="word"/> counts pre-tokenized words.</summary>
    protected abstract void EncodePiece(AlignedString piece, List<RawToken> output, ref int word);

    /// <summary>Hook over a whole sequence once its pieces are encoded (RoBERTa trims offsets here).</summary>
    protected virtual void CompleteSequence(List<RawToken> tokens)
    {
    }

    public int NumSpecialTokensToAdd(bool pair) => pair ? (RobertaPairTemplate ? 4 : 3) : 2;

    public TokenizedText Encode(string text, string? textPair = null, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= EncodeOptions.Default;
        var first = EncodeSequence(text);
        var second = textPair is null ? null : EncodeSequence(textPair);
        Truncate(ref first, ref second, options);
        return Assemble(first, second, options.AddSpecialTokens);
    }

    public TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string?>? textPairs = null,
        EncodeOptions? options = null, int? padToMultipleOf = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (textPairs is not null && textPairs.Count != texts.Count)
        {
            throw new ArgumentException($"Got {texts.Count} texts but {textPairs.Count} pair texts; the counts must match.", nameof(textPairs));
        }
        if (padToMultipleOf is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(padToMultipleOf), padToMultipleOf, "padToMultipleOf must be positive.");
        }
        var items = new TokenizedText[texts.Count];
        int longest = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            items[i] = Encode(texts[i], textPairs?[i], options);
            longest = Math.Max(longest, items[i].Count);
        }
        if (padToMultipleOf is int m && longest % m != 0)
        {
            longest += m - longest % m;
        }
        var ids = new long[items.Length, longest];
        var mask = new long[items.Length, longest];
        var types = new long[items.Length, longest];
        for (int row = 0; row < items.Length; row++)
        {
            var item = items[row];
            for (int col = 0; col < longest; col++)
            {
                bool real = col < item.Count;
                ids[row, col] = real ? item.Ids[col] : PadTokenId;
                mask[row, col] = real ? 1 : 0;
                types[row, col] = real ? item.TypeIds[col] : 0;
            }
        }
        return new TokenizedBatch(items, ids, mask, types);
    }

    private List<RawToken> EncodeSequence(string text)
    {
        var tokens = new List<RawToken>();
        int word = 0;
        foreach (var (start, end, token) in _splitter.Split(text))
        {
            if (token is not null)
            {
                // HF keeps the matched text, stripped whitespace included, as the token string.
                tokens.Add(new RawToken(token.Id, text[start..end], start, end, word++));
            }
            else if (end > start)
            {
                EncodePiece(AlignedString.FromOriginal(text, start, end), tokens, ref word);
            }
        }
        CompleteSequence(tokens);
        return tokens;
    }

    private void Truncate(ref List<RawToken> first, ref List<RawToken>? second, EncodeOptions options)
    {
        if (options.MaxLength is not int maxLength)
        {
            return;
        }
        bool pair = second is not null;
        int specials = options.AddSpecialTokens ? NumSpecialTokensToAdd(pair) : 0;
        int budget = maxLength - specials;
        if (budget < 0)
        {
            throw new TokenizerException(
                $"MaxLength {maxLength} is too small: a {(pair ? "text pair" : "single text")} needs {specials} special tokens.");
        }
        int total = first.Count + (second?.Count ?? 0);
        if (total <= budget)
        {
            return;
        }
        int toRemove = total - budget;
        var side = options.TruncationSide;
        switch (options.Truncation)
        {
            case TruncationStrategy.LongestFirst when second is not null:
                // HF's rule (utils/truncation.rs): keep the shorter sequence whole if the longer can absorb
                // the excess, else split the budget evenly. See docs/tokenizers.md for a known difference.
                int n1 = first.Count, n2 = second.Count;
                bool swap = n1 > n2;
                if (swap)
                {
                    (n1, n2) = (n2, n1);
                }
                n2 = n1 > budget ? n1 : Math.Max(n1, budget - n1);
                if (n1 + n2 > budget)
                {
                    n1 = budget / 2;
                    n2 = n1 + budget % 2;
                }
                if (swap)
                {
                    (n1, n2) = (n2, n1);
                }
                first = Cut(first, n1, side);
                second = Cut(second, n2, side);
                break;
            case TruncationStrategy.LongestFirst:
                first = Cut(first, budget, side);
                break;
            case TruncationStrategy.OnlyFirst:
                if (first.Count <= toRemove)
                {
                    throw new TokenizerException(
                        $"Cannot truncate with OnlyFirst to MaxLength {maxLength}: the first sequence has {first.Count} tokens but {toRemove} must go.");
                }
                first = Cut(first, first.Count - toRemove, side);
                break;
            case TruncationStrategy.OnlySecond:
                if (second is null)
                {
                    throw new TokenizerException($"Cannot truncate with OnlySecond to MaxLength {maxLength}: there is no second sequence.");
                }
                if (second.Count <= toRemove)
                {
                    throw new TokenizerException(
                        $"Cannot truncate with OnlySecond to MaxLength {maxLength}: the second sequence has {second.Count} tokens but {toRemove} must go.");
                }
                second = Cut(second, second.Count - toRemove, side);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Truncation, "Unknown truncation strategy.");
        }
    }

    private static List<RawToken> Cut(List<RawToken> tokens, int keep, TruncationSide side)
    {
        if (keep >= tokens.Count)
        {
            return tokens;
        }
        return side == TruncationSide.Right ? tokens.GetRange(0, keep) : tokens.GetRange(tokens.Count - keep, keep);
    }

    private TokenizedText Assemble(List<RawToken> first, List<RawToken>? second, bool addSpecialTokens)
    {
        int n = first.Count + (second?.Count ?? 0) + (addSpecialTokens ? NumSpecialTokensToAdd(second is not null) : 0);
        var b = new Builder(n);
        int secondType = RobertaPairTemplate ? 0 : 1;
        if (addSpecialTokens)
        {
            b.AddSpecial(Specials.Cls, 0);
        }
        b.AddSequence(first, 0, 0);
        if (addSpecialTokens)
        {
            b.AddSpecial(Specials.Sep, 0);
        }
        if (second is not null)
        {
            if (addSpecialTokens && RobertaPairTemplate)
            {
                b.AddSpecial(Specials.Sep, 0);
            }
            b.AddSequence(second, 1, secondType);
            if (addSpecialTokens)
            {
                b.AddSpecial(Specials.Sep, secondType);
            }
        }
        return b.Build();
    }

    private sealed class Builder(int capacity)
    {
        private readonly int[] _ids = new int[capacity];
        private readonly string[] _tokens = new string[capacity];
        private readonly TokenSpan[] _offsets = new TokenSpan[capacity];
        private readonly int[] _types = new int[capacity];
        private readonly int?[] _sequenceIds = new int?[capacity];
        private readonly int[] _special = new int[capacity];
        private readonly int?[] _words = new int?[capacity];
        private int _count;

        public void AddSpecial(SpecialToken token, int typeId)
        {
            _ids[_count] = token.Id;
            _tokens[_count] = token.Content;
            _offsets[_count] = new TokenSpan(0, 0);
            _types[_count] = typeId;
            _sequenceIds[_count] = null;
            _special[_count] = 1;
            _words[_count] = null;
            _count++;
        }

        public void AddSequence(List<RawToken> tokens, int sequenceId, int typeId)
        {
            foreach (var t in tokens)
            {
                _ids[_count] = t.Id;
                _tokens[_count] = t.Value;
                _offsets[_count] = new TokenSpan(t.Start, t.End);
                _types[_count] = typeId;
                _sequenceIds[_count] = sequenceId;
                _special[_count] = 0;
                _words[_count] = t.Word;
                _count++;
            }
        }

        public TokenizedText Build() => new(_ids, _tokens, _offsets, _types, _sequenceIds, _special, _words);
    }
}
