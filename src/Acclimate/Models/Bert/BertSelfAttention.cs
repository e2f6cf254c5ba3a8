using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Models.Lora;

namespace Acclimate.Models.Bert;

/// <summary>HF BertSelfAttention: query/key/value projections and multi-head attention.</summary>
internal sealed class BertSelfAttention : ExplicitModule
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int _numHeads;
    private readonly double _dropout;

    public BertSelfAttention(EncoderConfig config) : base(nameof(BertSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        _numHeads = config.NumAttentionHeads;
        _dropout = config.AttentionProbsDropoutProb;
        register_module(nameof(query), query);
        register_module(nameof(key), key);
        register_module(nameof(value), value);
    }

    public Tensor Forward(Tensor hidden, Tensor? additiveMask)
    {
        using var q = LoraLinear.ForwardInCompute(query, hidden);
        using var k = LoraLinear.ForwardInCompute(key, hidden);
        using var v = LoraLinear.ForwardInCompute(value, hidden);
        return MultiHeadAttention.Compute(q, k, v, additiveMask, _numHeads, _dropout, training);
    }
}
