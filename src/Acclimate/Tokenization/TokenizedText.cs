namespace Acclimate.Tokenization;

/// <summary>
/// One encoded text (or text pair): parallel per-token lists, equal to what HuggingFace's
/// <c>Encoding</c> holds. Offsets are UTF-16 spans into the caller's text, or into the pair text
/// for tokens whose <see cref="SequenceIds"/> entry is 1; special tokens have (0, 0).
/// </summary>
public sealed class TokenizedText
{
    private readonly int[] _ids;
    private readonly string[] _tokens;
    private readonly TokenSpan[] _offsets;
    private readonly int[] _typeIds;
    private readonly int?[] _sequenceIds;
    private readonly int[] _specialTokensMask;
    private readonly int?[] _wordIds;

    internal TokenizedText(int[] ids, string[] tokens, TokenSpan[] offsets, int[] typeIds, int?[] sequenceIds,
        int[] specialTokensMask, int?[] wordIds)
    {
        _ids = ids;
        _tokens = tokens;
        _offsets = offsets;
        _typeIds = typeIds;
        _sequenceIds = sequenceIds;
        _specialTokensMask = specialTokensMask;
        _wordIds = wordIds;
    }

    /// <summary>Number of tokens.</summary>
    public int Count => _ids.Length;

    /// <summary>Vocabulary ids (input_ids).</summary>
    public IReadOnlyList<int> Ids => _ids;

    /// <summary>Token strings as the vocabulary spells them ("##ing", "Ġthe", "▁the").</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>UTF-16 [start, end) spans, see the class summary.</summary>
    public IReadOnlyList<TokenSpan> Offsets => _offsets;

    /// <summary>Segment ids (token_type_ids): 0 for the first text, 1 for the pair (always 0 for RoBERTa).</summary>
    public IReadOnlyList<int> TypeIds => _typeIds;

    /// <summary>0 for tokens of the first text, 1 for the pair text, null for special tokens added by the template.</summary>
    public IReadOnlyList<int?> SequenceIds => _sequenceIds;

    /// <summary>1 for special tokens added by the template, 0 otherwise (special-token strings found in the text count as 0, as in HF).</summary>
    public IReadOnlyList<int> SpecialTokensMask => _specialTokensMask;

    /// <summary>
    /// Index of the pre-tokenized word each token belongs to, counted separately in each sequence;
    /// null for template special tokens. Tokens of one word share the index: this is what
    /// whole-word masking groups on. Words are the pre-tokenizer's: BERT splits punctuation into its
    /// own words, RoBERTa's regex keeps a leading space with the word.
    /// </summary>
    public IReadOnlyList<int?> WordIds => _wordIds;

    /// <summary>True when token <paramref name="index"/> continues the word of the token before it.</summary>
    public bool IsContinuation(int index)
    {
        if (index <= 0 || _wordIds[index] is null)
        {
            return false;
        }
        return _wordIds[index - 1] == _wordIds[index] && _sequenceIds[index - 1] == _sequenceIds[index];
    }

    /// <summary>A copy of the ids.</summary>
    public int[] ToIdArray() => (int[])_ids.Clone();
}
