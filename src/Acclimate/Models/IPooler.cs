using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>An encoder's pooler: the first token's last hidden state, projected (HF's <c>pooler</c>).</summary>
internal interface IPooler
{
    /// <summary>The module registered as <c>pooler</c> (its parameters are the checkpoint's <c>pooler.*</c> keys).</summary>
    nn.Module Module { get; }

    /// <summary>[batch, length, hidden] last hidden states → [batch, hidden] pooled output.</summary>
    Tensor Forward(Tensor lastHidden);
}
