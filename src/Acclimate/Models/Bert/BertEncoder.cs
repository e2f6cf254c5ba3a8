using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Bert;

/// <summary>HF BertEncoder: <c>layer.0 … layer.N-1</c>, each with its own weights.</summary>
internal sealed class BertEncoder : ExplicitModule, ITransformerStack
{
    private readonly ModuleList<BertLayer> layer;

    public BertEncoder(EncoderConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        register_module(nameof(layer), layer);
    }

    public IReadOnlyList<Tensor> Forward(Tensor embeddingOutput, Tensor? additiveMask)
    {
        var states = new List<Tensor>(layer.Count + 1) { embeddingOutput };
        var hidden = embeddingOutput;
        foreach (var block in layer)
        {
            hidden = block.Forward(hidden, additiveMask);
            states.Add(hidden);
        }
        return states;
    }
}
