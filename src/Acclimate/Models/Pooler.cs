using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>HF BertPooler: dense + tanh on the first token (state-dict keys <c>pooler.dense.*</c>).</summary>
internal sealed class BertPooler : ExplicitModule, IPooler
{
    private readonly Linear dense;

    public BertPooler(EncoderConfig config) : base(nameof(BertPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        register_module(nameof(dense), dense);
    }

    nn.Module IPooler.Module => this;

    public Tensor Forward(Tensor lastHidden)
    {
        using var first = lastHidden.select(1, 0);
        using var projected = dense.forward(first);
        return projected.tanh();
    }
}
