using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// What the base encoder returns. <see cref="HiddenStates"/> has num_hidden_layers + 1 entries as
/// HF's <c>hidden_states</c> (0 = input to the first layer at hidden width), so heads can fuse any
/// of the last k layers.
/// </summary>
public sealed record EncoderOutput(IReadOnlyList<Tensor> HiddenStates, Tensor? PoolerOutput)
{
    /// <summary>The last layer's states, [batch, length, hidden].</summary>
    public Tensor LastHiddenState => HiddenStates[^1];
}
