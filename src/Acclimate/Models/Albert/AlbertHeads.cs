using Acclimate.Runtime;
using Acclimate.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Albert;

/// <summary>
/// HF AlbertMLMHead (<c>predictions</c>): dense to embedding width, activation, LayerNorm (torch's
/// default eps 1e-5, not the config's, as HF), tied decoder + bias.
/// </summary>
internal sealed class AlbertMlmHead : ExplicitModule
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly VocabularyProjection _projection;
    private readonly Func<Tensor, Tensor> _activation;

    public AlbertMlmHead(EncoderConfig config, EncoderModel encoder) : base(nameof(AlbertMlmHead))
    {
        dense = nn.Linear(config.HiddenSize, config.EmbeddingSize);
        LayerNorm = nn.LayerNorm(config.EmbeddingSize);
        _activation = Activations.Get(config.HiddenAct, config.SourcePath ?? "config");
        register_module(nameof(dense), dense);
        register_module(nameof(LayerNorm), LayerNorm);
        _projection = new VocabularyProjection(this, encoder, config.EmbeddingSize, config.TieWordEmbeddings);
    }

    /// <summary>Grows the vocabulary-sized tensors to <paramref name="newSize"/> rows.</summary>
    public void ResizeVocabulary(int newSize, Tensor? newRows) => _projection.Resize(newSize, newRows);

    public Tensor Forward(Tensor hidden)
    {
        using var projected = Autocast.Linear(dense, hidden);
        using var activated = _activation(projected);
        using var normed = LayerNorm.forward(activated);
        return _projection.Project(normed);
    }
}

/// <summary>HF AlbertSOPHead (<c>sop_classifier</c>): dropout + <c>classifier</c> on the pooled output.</summary>
internal sealed class AlbertSopHead : ExplicitModule
{
    private readonly Linear classifier;
    private readonly double _dropout;

    public AlbertSopHead(EncoderConfig config) : base(nameof(AlbertSopHead))
    {
        classifier = nn.Linear(config.HiddenSize, 2);
        _dropout = config.ClassifierDropout;
        register_module(nameof(classifier), classifier);
    }

    public Tensor Forward(Tensor pooled)
    {
        using var dropped = nn.functional.dropout(pooled, _dropout, training);
        return classifier.forward(dropped);
    }
}
