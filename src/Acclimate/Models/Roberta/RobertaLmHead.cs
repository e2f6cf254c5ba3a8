using Acclimate.Runtime;
using Acclimate.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Roberta;

/// <summary>HF RobertaLMHead (<c>lm_head</c>): dense, exact GELU, layer_norm, tied decoder + bias.</summary>
internal sealed class RobertaLmHead : ExplicitModule
{
    private readonly Linear dense;
    private readonly LayerNorm layer_norm;
    private readonly VocabularyProjection _projection;

    public RobertaLmHead(EncoderConfig config, EncoderModel encoder) : base(nameof(RobertaLmHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        register_module(nameof(dense), dense);
        register_module(nameof(layer_norm), layer_norm);
        _projection = new VocabularyProjection(this, encoder, config.HiddenSize, config.TieWordEmbeddings);
    }

    /// <summary>Grows the vocabulary-sized tensors to <paramref name="newSize"/> rows.</summary>
    public void ResizeVocabulary(int newSize, Tensor? newRows) => _projection.Resize(newSize, newRows);

    public Tensor Forward(Tensor hidden)
    {
        using var projected = Autocast.Linear(dense, hidden);
        using var activated = nn.functional.gelu(projected);
        using var normed = layer_norm.forward(activated);
        return _projection.Project(normed);
    }
}
