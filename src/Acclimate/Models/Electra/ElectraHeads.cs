using Acclimate.Runtime;
using Acclimate.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Electra;

/// <summary>HF ElectraGeneratorPredictions (<c>generator_predictions</c>): dense to embedding width, exact GELU, LayerNorm (eps 1e-5).</summary>
internal sealed class ElectraGeneratorPredictions : ExplicitModule
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public ElectraGeneratorPredictions(EncoderConfig config) : base(nameof(ElectraGeneratorPredictions))
    {
        dense = nn.Linear(config.HiddenSize, config.EmbeddingSize);
        LayerNorm = nn.LayerNorm(config.EmbeddingSize);
        register_module(nameof(dense), dense);
        register_module(nameof(LayerNorm), LayerNorm);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var projected = Autocast.Linear(dense, hidden);
        using var activated = nn.functional.gelu(projected);
        return LayerNorm.forward(activated);
    }
}

/// <summary>
/// HF's <c>generator_lm_head</c>: a Linear whose weight HF ties to the word embeddings. Here the
/// weight is the embedding Parameter itself (or a <c>weight</c> of its own when untied) and the
/// bias is its own.
/// </summary>
internal sealed class ElectraGeneratorLmHead : ExplicitModule
{
    private readonly VocabularyProjection _projection;

    public ElectraGeneratorLmHead(EncoderConfig config, EncoderModel encoder) : base(nameof(ElectraGeneratorLmHead))
    {
        _projection = new VocabularyProjection(this, encoder, config.EmbeddingSize, config.TieWordEmbeddings, untiedAsDecoderModule: false);
    }

    public bool IsTied => _projection.IsTied;

    /// <summary>Grows the vocabulary-sized tensors to <paramref name="newSize"/> rows.</summary>
    public void ResizeVocabulary(int newSize, Tensor? newRows) => _projection.Resize(newSize, newRows);

    public Tensor Forward(Tensor hidden) => _projection.Project(hidden);
}

/// <summary>HF ElectraDiscriminatorPredictions: dense, hidden activation, dense_prediction → one logit per token.</summary>
internal sealed class ElectraDiscriminatorPredictions : ExplicitModule
{
    private readonly Linear dense;
    private readonly Linear dense_prediction;
    private readonly Func<Tensor, Tensor> _activation;

    public ElectraDiscriminatorPredictions(EncoderConfig config) : base(nameof(ElectraDiscriminatorPredictions))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dense_prediction = nn.Linear(config.HiddenSize, 1);
        _activation = Activations.Get(config.HiddenAct, config.SourcePath ?? "config");
        register_module(nameof(dense), dense);
        register_module(nameof(dense_prediction), dense_prediction);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var projected = Autocast.Linear(dense, hidden);
        using var activated = _activation(projected);
        using var logits = dense_prediction.forward(activated);
        return logits.squeeze(-1);
    }
}
