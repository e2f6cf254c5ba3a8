namespace Acclimate.Tokenization;

/// <summary>
/// A pretrained model's tokenizer with HuggingFace-identical output (ids, tokens, offsets, type ids,
/// special-token mask). Get one from <see cref="TokenizerLoader.FromFolder"/>. Instances are
/// immutable and safe to use from several threads.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Subword algorithm.</summary>
    TokenizerKind Kind { get; }

    /// <summary>Number of ids the model's embedding must hold (vocabulary plus added special tokens).</summary>
    int VocabSize { get; }

    /// <summary>Classification / start token ([CLS] or &lt;s&gt;).</summary>
    string ClsToken { get; }

    /// <summary>Separator / end token ([SEP] or &lt;/s&gt;).</summary>
    string SepToken { get; }

    /// <summary>Padding token.</summary>
    string PadToken { get; }

    /// <summary>Mask token for masked language modelling.</summary>
    string MaskToken { get; }

    /// <summary>Unknown-word token.</summary>
    string UnkToken { get; }

    /// <summary>Id of <see cref="ClsToken"/>.</summary>
    int ClsTokenId { get; }

    /// <summary>Id of <see cref="SepToken"/>.</summary>
    int SepTokenId { get; }

    /// <summary>Id of <see cref="PadToken"/>.</summary>
    int PadTokenId { get; }

    /// <summary>Id of <see cref="MaskToken"/>.</summary>
    int MaskTokenId { get; }

    /// <summary>Id of <see cref="UnkToken"/>.</summary>
    int UnkTokenId { get; }

    /// <summary>Ids of all special tokens (cls, sep, pad, mask, unk and any other the model declares).</summary>
    IReadOnlySet<int> SpecialTokenIds { get; }

    /// <summary>The vocabulary string of <paramref name="id"/>; throws <see cref="ArgumentOutOfRangeException"/> for an unknown id.</summary>
    string IdToToken(int id);

    /// <summary>The id of the exact vocabulary string <paramref name="token"/>, or null.</summary>
    int? TokenToId(string token);

    /// <summary>How many special tokens the template adds to a single text or a pair.</summary>
    int NumSpecialTokensToAdd(bool pair);

    /// <summary>Encodes a text, or a text pair when <paramref name="textPair"/> is not null.</summary>
    TokenizedText Encode(string text, string? textPair = null, EncodeOptions? options = null);

    /// <summary>
    /// Encodes every text (paired with <paramref name="textPairs"/>[i] when given) and pads the batch
    /// on the right to its longest row, rounded up to a multiple of <paramref name="padToMultipleOf"/>.
    /// </summary>
    TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string?>? textPairs = null,
        EncodeOptions? options = null, int? padToMultipleOf = null);

    /// <summary>
    /// Writes the classic tokenizer files (vocab.txt, or vocab.json + merges.txt, or spiece.model, plus
    /// tokenizer_config.json and special_tokens_map.json) into <paramref name="folder"/>, each through a
    /// temporary file renamed into place, so that <see cref="TokenizerLoader.FromFolder"/> and
    /// HuggingFace load it back identically.
    /// </summary>
    void SaveTo(string folder);
}
