using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// Word + position + token-type embeddings, then LayerNorm and dropout (HF BertEmbeddings and its
/// RoBERTa/ALBERT/ELECTRA relatives). Width is <see cref="EncoderConfig.EmbeddingSize"/>. RoBERTa
/// numbers positions from <c>pad_token_id + 1</c> and gives padding the padding position.
/// </summary>
public sealed class EncoderEmbeddings : ExplicitModule
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly double _dropout;
    private readonly bool _paddingOffsetPositions;
    private readonly int _padTokenId;

    /// <summary>Fresh word, position and segment embeddings with LayerNorm and dropout, shaped by <paramref name="config"/>.</summary>
    public EncoderEmbeddings(EncoderConfig config) : base(nameof(EncoderEmbeddings))
    {
        var dim = config.EmbeddingSize;
        _paddingOffsetPositions = config.Family.PositionsFollowPadding;
        _padTokenId = config.PadTokenId;
        word_embeddings = nn.Embedding(config.VocabSize, dim, padding_idx: config.PadTokenId);
        position_embeddings = _paddingOffsetPositions
            ? nn.Embedding(config.MaxPositionEmbeddings, dim, padding_idx: config.PadTokenId)
            : nn.Embedding(config.MaxPositionEmbeddings, dim);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, dim);
        LayerNorm = nn.LayerNorm(dim, eps: config.LayerNormEps);
        _dropout = config.HiddenDropoutProb;
        register_module(nameof(word_embeddings), word_embeddings);
        register_module(nameof(position_embeddings), position_embeddings);
        register_module(nameof(token_type_embeddings), token_type_embeddings);
        register_module(nameof(LayerNorm), LayerNorm);
    }

    /// <summary>The word embedding matrix [vocab, dim]; MLM decoders tie to it.</summary>
    public Parameter WordEmbeddingWeight => RegisteredWeight(word_embeddings);

    /// <summary>Replaces the word embedding table (vocabulary growth); the new matrix must have the same width.</summary>
    public void ReplaceWordEmbeddings(Tensor weight)
    {
        using var _ = no_grad();
        // A new Parameter belongs to the caller's dispose scope, if any; the module must own it beyond that scope.
        var parameter = new Parameter(weight.detach().clone());
        parameter.DetachFromDisposeScope();
        word_embeddings.weight = parameter;
    }

    /// <summary>Zeroes the rows HF's init leaves at zero: the pad token (and RoBERTa's padding position).</summary>
    public void ZeroPaddingRows()
    {
        using var _ = no_grad();
        using (var row = RegisteredWeight(word_embeddings)[_padTokenId]) row.zero_();
        if (_paddingOffsetPositions)
            using (var row = RegisteredWeight(position_embeddings)[_padTokenId]) row.zero_();
    }

    /// <summary>
    /// The Parameter object the embedding registered. TorchSharp's <c>Embedding.weight</c> getter
    /// wraps the native tensor in a new object on every call; nothing keeps such a temporary alive
    /// once its handle has been passed to native code, so the finalizer thread can free that handle
    /// while the native call is still using it (a use-after-free that crashed the test host). The
    /// registered object lives as long as the module.
    /// </summary>
    private static Parameter RegisteredWeight(Embedding embedding) =>
        embedding.get_parameter("weight") ?? throw new InvalidOperationException("an embedding without a registered weight.");

    /// <summary>Embeds a batch.</summary>
    /// <param name="inputIds">[batch, length] int64 token ids.</param>
    /// <param name="tokenTypeIds">[batch, length] segment ids; null = all zeros.</param>
    /// <returns>[batch, length, embedding width] after LayerNorm and dropout.</returns>
    public Tensor Forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        var length = inputIds.shape[1];
        using var positions = _paddingOffsetPositions
            ? PaddingOffsetPositions(inputIds)
            : arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        using var types = tokenTypeIds is null ? zeros_like(inputIds) : null;
        using var words = word_embeddings.forward(inputIds);
        using var typeEmb = token_type_embeddings.forward(tokenTypeIds ?? types!);
        using var posEmb = position_embeddings.forward(positions);
        using var sum = words + typeEmb + posEmb;
        using var normed = LayerNorm.forward(sum);
        return nn.functional.dropout(normed, _dropout, training);
    }

    /// <summary>RoBERTa: real tokens get pad+1, pad+2, …; padding tokens get pad.</summary>
    private Tensor PaddingOffsetPositions(Tensor inputIds)
    {
        using var mask = inputIds.ne(_padTokenId).to(ScalarType.Int64);
        using var running = mask.cumsum(1);
        using var counted = running * mask;
        return counted + _padTokenId;
    }
}
