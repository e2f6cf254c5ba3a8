using Acclimate.Models.Albert;
using Acclimate.Models.Bert;
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
    private readonly nn.Module encoder;
    private readonly ITransformerStack _stack;
    private readonly BertPooler? _bertPooler;
    private readonly Linear? _albertPooler;

    public EncoderModel(EncoderConfig config, bool addPoolingLayer) : base(nameof(EncoderModel))
    {
        Config = config;
        embeddings = new EncoderEmbeddings(config);
        register_module(nameof(embeddings), embeddings);
        if (config.ModelType == ModelType.Electra && config.EmbeddingSize != config.HiddenSize)
        {
            embeddings_project = nn.Linear(config.EmbeddingSize, config.HiddenSize);
            register_module(nameof(embeddings_project), embeddings_project);
        }
        if (config.ModelType == ModelType.Albert)
        {
            var albert = new AlbertTransformer(config);
            encoder = albert;
            _stack = albert;
        }
        else
        {
            var bert = new BertEncoder(config);
            encoder = bert;
            _stack = bert;
        }
        register_module(nameof(encoder), encoder);
        if (addPoolingLayer && config.ModelType != ModelType.Electra)
        {
            // ALBERT's pooler is a bare Linear (keys pooler.weight/bias); the others wrap it (pooler.dense.*).
            if (config.ModelType == ModelType.Albert)
            {
                _albertPooler = nn.Linear(config.HiddenSize, config.HiddenSize);
                register_module("pooler", _albertPooler);
            }
            else
            {
                _bertPooler = new BertPooler(config);
                register_module("pooler", _bertPooler);
            }
        }
    }

    public EncoderConfig Config { get; }
    public EncoderEmbeddings Embeddings => embeddings;
    public bool HasPooler => _bertPooler is not null || _albertPooler is not null;

    /// <param name="inputIds">[batch, length] int64 token ids.</param>
    /// <param name="attentionMask">[batch, length] 1 for real tokens, 0 for padding; null = all real.</param>
    /// <param name="tokenTypeIds">[batch, length] segment ids; null = all zeros.</param>
    public EncoderOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
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
        Tensor? pooled = null;
        if (_bertPooler is not null) pooled = _bertPooler.Forward(states[^1]);
        else if (_albertPooler is not null)
        {
            using var first = states[^1].select(1, 0);
            using var projected = _albertPooler.forward(first);
            pooled = projected.tanh();
        }
        return new EncoderOutput(states, pooled);
    }
}
