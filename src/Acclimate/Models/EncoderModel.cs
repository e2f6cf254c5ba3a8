using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// The base encoder of every architecture (HF BertModel, RobertaModel, AlbertModel, ElectraModel):
/// embeddings, ELECTRA's <c>embeddings_project</c> when embedding and hidden widths differ, the
/// transformer stack, and an optional pooler. Submodule names equal HF's, so its state-dict keys are
/// HF's keys without the <c>bert.</c>/<c>roberta.</c>/… prefix a task model adds.
/// </summary>
public sealed class EncoderModel : ExplicitModule
{
    private readonly EncoderEmbeddings embeddings;
    private readonly Linear? embeddings_project;
    private readonly ITransformerStack _stack;
    private readonly IPooler? _pooler;

    /// <summary>A fresh encoder of <paramref name="config"/>'s shape.</summary>
    /// <param name="config">The model's config.</param>
    /// <param name="addPoolingLayer">Whether to build the pooler (the tanh dense layer over the first token).</param>
    public EncoderModel(EncoderConfig config, bool addPoolingLayer) : base(nameof(EncoderModel))
    {
        Config = config;
        var family = config.Family;
        embeddings = new EncoderEmbeddings(config);
        register_module(nameof(embeddings), embeddings);
        embeddings_project = family.CreateEmbeddingProjection(config);
        if (embeddings_project is not null) register_module(nameof(embeddings_project), embeddings_project);
        _stack = family.CreateStack(config);
        register_module("encoder", (nn.Module)_stack);
        _pooler = addPoolingLayer ? family.CreatePooler(config) : null;
        if (_pooler is not null) register_module("pooler", _pooler.Module);
    }

    /// <summary>The config (replaced, never changed, when the owning model resizes its vocabulary).</summary>
    public EncoderConfig Config { get; internal set; }
    /// <summary>The embedding module (word, position and segment tables).</summary>
    public EncoderEmbeddings Embeddings => embeddings;
    /// <summary>Whether the encoder has a pooler (<see cref="EncoderOutput.PoolerOutput"/> is then set).</summary>
    public bool HasPooler => _pooler is not null;

    /// <param name="inputIds">[batch, length] int64 token ids.</param>
    /// <param name="attentionMask">[batch, length] 1 for real tokens, 0 for padding; null = all real.</param>
    /// <param name="tokenTypeIds">[batch, length] segment ids; null = all zeros.</param>
    public EncoderOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        ValidateInputs(inputIds, attentionMask, tokenTypeIds);
        var embedded = embeddings.Forward(inputIds, tokenTypeIds);
        if (embeddings_project is not null)
        {
            var projected = embeddings_project.forward(embedded);
            embedded.Dispose();
            embedded = projected;
        }
        using var additive = attentionMask is null ? null : MultiHeadAttention.AdditiveMask(attentionMask, embedded.dtype);
        var states = _stack.Forward(embedded, additive);
        if (!ReferenceEquals(states[0], embedded)) embedded.Dispose();
        var pooled = _pooler?.Forward(states[^1]);
        return new EncoderOutput(states, pooled);
    }

    /// <summary>
    /// The longest sequence the position table allows (RoBERTa spends pad_token_id + 1 rows on its
    /// position offset, so 514 rows give 512 tokens).
    /// </summary>
    public int MaxSequenceLength => Config.Family.MaxSequenceLength(Config);

    // Out-of-range ids would otherwise fail deep inside libtorch with an opaque native error.
    private void ValidateInputs(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds)
    {
        if (inputIds.dim() != 2)
            throw new Errors.DataException($"input_ids must be [batch, length]; got shape [{string.Join(", ", inputIds.shape)}].");
        if (inputIds.dtype != ScalarType.Int64)
            throw new Errors.DataException($"input_ids must be int64; got {inputIds.dtype}.");
        var length = inputIds.shape[1];
        if (length > MaxSequenceLength)
            throw new Errors.DataException($"input_ids has length {length}, more than this model's maximum of {MaxSequenceLength} positions " +
                                           "(truncate, or split into windows).");
        if (inputIds.numel() > 0 && Runtime.TensorChecks.ShouldRun(inputIds))
        {
            using var min = inputIds.min();
            using var max = inputIds.max();
            if (min.item<long>() < 0 || max.item<long>() >= Config.VocabSize)
                throw new Errors.DataException($"input_ids holds ids in [{min.item<long>()}, {max.item<long>()}] but the vocabulary has " +
                                               $"{Config.VocabSize} entries (ids 0..{Config.VocabSize - 1}): tokenizer and model do not match.");
        }
        foreach (var (t, name) in new[] { (attentionMask, "attention_mask"), (tokenTypeIds, "token_type_ids") })
            if (t is not null && !t.shape.SequenceEqual(inputIds.shape))
                throw new Errors.DataException($"{name} has shape [{string.Join(", ", t.shape)}], input_ids [{string.Join(", ", inputIds.shape)}].");
        if (tokenTypeIds is not null && tokenTypeIds.numel() > 0 && Runtime.TensorChecks.ShouldRun(tokenTypeIds))
        {
            using var min = tokenTypeIds.min();
            using var max = tokenTypeIds.max();
            if (min.item<long>() < 0 || max.item<long>() >= Config.TypeVocabSize)
                throw new Errors.DataException($"token_type_ids holds values in [{min.item<long>()}, {max.item<long>()}] but type_vocab_size is {Config.TypeVocabSize}.");
        }
    }
}
