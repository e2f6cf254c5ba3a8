using Acclimate.Runtime;
using Acclimate.Models.Lora;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Albert;

/// <summary>HF AlbertAttention: q/k/v, output dense, dropout, residual, LayerNorm in one module.</summary>
internal sealed class AlbertAttention : ExplicitModule
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly int _numHeads;
    private readonly double _attentionDropout;
    private readonly double _outputDropout;

    public AlbertAttention(EncoderConfig config) : base(nameof(AlbertAttention))
    {
        var h = config.HiddenSize;
        query = nn.Linear(h, h);
        key = nn.Linear(h, h);
        value = nn.Linear(h, h);
        dense = nn.Linear(h, h);
        LayerNorm = nn.LayerNorm(h, eps: config.LayerNormEps);
        _numHeads = config.NumAttentionHeads;
        _attentionDropout = config.AttentionProbsDropoutProb;
        _outputDropout = config.HiddenDropoutProb;
        register_module(nameof(query), query);
        register_module(nameof(key), key);
        register_module(nameof(value), value);
        register_module(nameof(dense), dense);
        register_module(nameof(LayerNorm), LayerNorm);
    }

    public Tensor Forward(Tensor hidden, Tensor? additiveMask)
    {
        using var q = LoraLinear.ForwardInCompute(query, hidden);
        using var k = LoraLinear.ForwardInCompute(key, hidden);
        using var v = LoraLinear.ForwardInCompute(value, hidden);
        using var context = MultiHeadAttention.Compute(q, k, v, additiveMask, _numHeads, _attentionDropout, training);
        using var projected = LoraLinear.Forward(dense, context);
        using var dropped = nn.functional.dropout(projected, _outputDropout, training);
        using var sum = hidden + dropped;
        return LayerNorm.forward(sum);
    }
}

/// <summary>HF AlbertLayer: attention, then ffn → activation → ffn_output, residual, full_layer_layer_norm.</summary>
internal sealed class AlbertLayer : ExplicitModule
{
    private readonly AlbertAttention attention;
    private readonly Linear ffn;
    private readonly Linear ffn_output;
    private readonly LayerNorm full_layer_layer_norm;
    private readonly Func<Tensor, Tensor> _activation;

    public AlbertLayer(EncoderConfig config) : base(nameof(AlbertLayer))
    {
        attention = new AlbertAttention(config);
        ffn = nn.Linear(config.HiddenSize, config.IntermediateSize);
        ffn_output = nn.Linear(config.IntermediateSize, config.HiddenSize);
        full_layer_layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _activation = Activations.Get(config.HiddenAct, config.SourcePath ?? "config");
        register_module(nameof(attention), attention);
        register_module(nameof(ffn), ffn);
        register_module(nameof(ffn_output), ffn_output);
        register_module(nameof(full_layer_layer_norm), full_layer_layer_norm);
    }

    public Tensor Forward(Tensor hidden, Tensor? additiveMask)
    {
        using var attended = attention.Forward(hidden, additiveMask);
        using var widened = LoraLinear.Forward(ffn, attended);
        using var activated = _activation(widened);
        using var narrowed = LoraLinear.Forward(ffn_output, activated);
        // HF's AlbertLayer declares a dropout here but does not apply it; neither do we.
        using var sum = narrowed + attended;
        return full_layer_layer_norm.forward(sum);
    }
}

/// <summary>HF AlbertLayerGroup: <c>inner_group_num</c> layers applied in turn.</summary>
internal sealed class AlbertLayerGroup : ExplicitModule
{
    private readonly ModuleList<AlbertLayer> albert_layers;

    public AlbertLayerGroup(EncoderConfig config) : base(nameof(AlbertLayerGroup))
    {
        albert_layers = nn.ModuleList(Enumerable.Range(0, config.InnerGroupNum).Select(_ => new AlbertLayer(config)).ToArray());
        register_module(nameof(albert_layers), albert_layers);
    }

    public Tensor Forward(Tensor hidden, Tensor? additiveMask)
    {
        var current = hidden;
        foreach (var layer in albert_layers)
        {
            var next = layer.Forward(current, additiveMask);
            if (!ReferenceEquals(current, hidden)) current.Dispose();
            current = next;
        }
        return current;
    }
}
