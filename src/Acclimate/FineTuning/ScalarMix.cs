using Acclimate.Errors;
using Acclimate.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// ELMo's scalar mix: gamma · Σ_k softmax(w)_k · layer_k over k layers. Parameters <c>weights</c>
/// [k] (start at 0, i.e. an equal mix) and <c>gamma</c> [1] (starts at 1), so a fresh mix equals
/// the mean of the layers and training moves it from there.
/// </summary>
internal sealed class ScalarMix : ExplicitModule
{
    private readonly Parameter weights;
    private readonly Parameter gamma;

    public ScalarMix(int layers) : base(nameof(ScalarMix))
    {
        if (layers <= 0) throw new ConfigException($"scalar mix: the number of layers must be positive; got {layers}.");
        Layers = layers;
        weights = new Parameter(zeros(layers));
        gamma = new Parameter(ones(1));
        register_parameter(nameof(weights), weights);
        register_parameter(nameof(gamma), gamma);
    }

    public int Layers { get; }

    /// <summary>The normalized layer weights (softmax of the raw weights), for inspection.</summary>
    public Tensor NormalizedWeights() => weights.softmax(0);

    public Parameter Gamma => gamma;

    public void ResetParameters()
    {
        using var _ = no_grad();
        weights.zero_();
        gamma.fill_(1.0);
    }

    /// <summary>Mixes <paramref name="layers"/> (each [B, L, H], exactly <see cref="Layers"/> of them).</summary>
    public Tensor Forward(IReadOnlyList<Tensor> layers)
    {
        if (layers.Count != Layers) throw new DataException($"scalar mix: expected {Layers} layers, given {layers.Count}.");
        using var scope = NewDisposeScope();
        var normalized = weights.softmax(0).to(layers[0].dtype);
        var mixed = stack(layers, 0) * normalized.reshape(Layers, 1, 1, 1);
        return (mixed.sum(dim: 0) * gamma.to(layers[0].dtype)).MoveToOuterDisposeScope();
    }
}
