using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Models.Lora;

namespace Acclimate.Models.Bert;

/// <summary>
/// HF BertSelfOutput / BertOutput: dense projection, dropout, residual add, LayerNorm. The two HF
/// classes differ only in the input width, so one class serves both.
/// </summary>
internal sealed class BertSublayerOutput : ExplicitModule
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly double _dropout;

    public BertSublayerOutput(int inputSize, EncoderConfig config) : base(nameof(BertSublayerOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _dropout = config.HiddenDropoutProb;
        register_module(nameof(dense), dense);
        register_module(nameof(LayerNorm), LayerNorm);
    }

    public Tensor Forward(Tensor input, Tensor residual)
    {
        using var projected = LoraLinear.Forward(dense, input);
        using var dropped = nn.functional.dropout(projected, _dropout, training);
        using var sum = dropped + residual;
        return LayerNorm.forward(sum);
    }
}
