using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Albert;

/// <summary>
/// HF AlbertTransformer: projects the embeddings to hidden width, then applies the shared layer
/// groups num_hidden_layers times (group g serves layers g·L/G … (g+1)·L/G − 1).
/// </summary>
internal sealed class AlbertTransformer : ExplicitModule, ITransformerStack
{
    private readonly Linear embedding_hidden_mapping_in;
    private readonly ModuleList<AlbertLayerGroup> albert_layer_groups;
    private readonly int _numLayers;
    private readonly int _numGroups;

    public AlbertTransformer(EncoderConfig config) : base(nameof(AlbertTransformer))
    {
        embedding_hidden_mapping_in = nn.Linear(config.EmbeddingSize, config.HiddenSize);
        albert_layer_groups = nn.ModuleList(Enumerable.Range(0, config.NumHiddenGroups).Select(_ => new AlbertLayerGroup(config)).ToArray());
        _numLayers = config.NumHiddenLayers;
        _numGroups = config.NumHiddenGroups;
        register_module(nameof(embedding_hidden_mapping_in), embedding_hidden_mapping_in);
        register_module(nameof(albert_layer_groups), albert_layer_groups);
    }

    public IReadOnlyList<Tensor> Forward(Tensor embeddingOutput, Tensor? additiveMask)
    {
        var hidden = embedding_hidden_mapping_in.forward(embeddingOutput);
        var states = new List<Tensor>(_numLayers + 1) { hidden };
        var layersPerGroup = _numLayers / _numGroups;
        for (var i = 0; i < _numLayers; i++)
        {
            hidden = albert_layer_groups[i / layersPerGroup].Forward(hidden, additiveMask);
            states.Add(hidden);
        }
        return states;
    }
}
