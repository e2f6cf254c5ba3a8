using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>The layer stack of an encoder: BERT's independent layers or ALBERT's shared groups.</summary>
internal interface ITransformerStack
{
    /// <summary>
    /// Runs every layer and returns num_hidden_layers + 1 hidden states, as HF's
    /// <c>output_hidden_states</c>: element 0 is the stack's input at hidden width (ALBERT's
    /// projected embeddings; for BERT the embeddings themselves), then the output of each layer.
    /// </summary>
    IReadOnlyList<Tensor> Forward(Tensor embeddingOutput, Tensor? additiveMask);
}
