using Acclimate.Runtime;
using Acclimate.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Bert;

/// <summary>HF BertPredictionHeadTransform: dense, activation, LayerNorm.</summary>
internal sealed class BertPredictionHeadTransform : ExplicitModule
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Func<Tensor, Tensor> _activation;

    public BertPredictionHeadTransform(EncoderConfig config) : base(nameof(BertPredictionHeadTransform))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _activation = Activations.Get(config.HiddenAct, config.SourcePath ?? "config");
        register_module(nameof(dense), dense);
        register_module(nameof(LayerNorm), LayerNorm);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var projected = Autocast.Linear(dense, hidden);
        using var activated = _activation(projected);
        return LayerNorm.forward(activated);
    }
}

/// <summary>HF BertLMPredictionHead: transform, then the (tied) decoder with its own bias.</summary>
internal sealed class BertLmPredictionHead : ExplicitModule
{
    private readonly BertPredictionHeadTransform transform;
    private readonly VocabularyProjection _projection;

    public BertLmPredictionHead(EncoderConfig config, EncoderModel encoder) : base(nameof(BertLmPredictionHead))
    {
        transform = new BertPredictionHeadTransform(config);
        register_module(nameof(transform), transform);
        _projection = new VocabularyProjection(this, encoder, config.HiddenSize, config.TieWordEmbeddings);
    }

    /// <summary>Grows the vocabulary-sized tensors to <paramref name="newSize"/> rows.</summary>
    public void ResizeVocabulary(int newSize, Tensor? newRows) => _projection.Resize(newSize, newRows);

    public Tensor Forward(Tensor hidden)
    {
        using var transformed = transform.Forward(hidden);
        return _projection.Project(transformed);
    }
}

/// <summary>
/// HF's <c>cls</c> module: <c>predictions</c> (MLM) and, for BertForPreTraining, <c>seq_relationship</c> (NSP).
/// </summary>
internal sealed class BertPreTrainingHeads : ExplicitModule
{
    private readonly BertLmPredictionHead predictions;
    private readonly Linear? seq_relationship;

    public BertPreTrainingHeads(EncoderConfig config, EncoderModel encoder, bool withNextSentence) : base(nameof(BertPreTrainingHeads))
    {
        predictions = new BertLmPredictionHead(config, encoder);
        register_module(nameof(predictions), predictions);
        if (withNextSentence)
        {
            seq_relationship = nn.Linear(config.HiddenSize, 2);
            register_module(nameof(seq_relationship), seq_relationship);
        }
    }

    public Tensor PredictTokens(Tensor hidden) => predictions.Forward(hidden);

    public void ResizeVocabulary(int newSize, Tensor? newRows) => predictions.ResizeVocabulary(newSize, newRows);

    public Tensor PredictNextSentence(Tensor pooled) =>
        (seq_relationship ?? throw new InvalidOperationException("this head has no next-sentence classifier")).forward(pooled);
}
