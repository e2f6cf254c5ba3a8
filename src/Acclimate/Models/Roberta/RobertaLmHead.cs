using Acclimate.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Roberta;

/// <summary>HF RobertaLMHead (<c>lm_head</c>): dense, exact GELU, layer_norm, tied decoder + bias.</summary>
public sealed class RobertaLmHead : ExplicitModule
{
    private readonly Linear dense;
    private readonly LayerNorm layer_norm;
    private readonly Parameter bias;
    private readonly TiedDecoder _decoder;

    public RobertaLmHead(EncoderConfig config, EncoderModel encoder) : base(nameof(RobertaLmHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        bias = new Parameter(zeros(config.VocabSize));
        register_module(nameof(dense), dense);
        register_module(nameof(layer_norm), layer_norm);
        register_parameter(nameof(bias), bias);
        _decoder = new TiedDecoder(this, encoder, config.HiddenSize, config.TieWordEmbeddings);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var projected = dense.forward(hidden);
        using var activated = nn.functional.gelu(projected);
        using var normed = layer_norm.forward(activated);
        return _decoder.Project(normed, bias);
    }
}
