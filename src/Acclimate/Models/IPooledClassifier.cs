using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// A sequence classifier split at its sentence representation: <see cref="Pool"/> gives the
/// vector its head classifies (BERT/ALBERT: the pooler output; RoBERTa/ELECTRA: the first token's
/// last hidden state; mean pooling: the mean over real tokens), <see cref="Classify"/> the logits
/// from such vectors. <c>Forward</c> is exactly Classify(Pool(…)), so training code can work on the
/// representation in between (feature alignment, mixup).
/// </summary>
internal interface IPooledClassifier
{
    /// <summary>[B, H] sentence representations from the encoder's output and the attention mask [B, L].</summary>
    Tensor Pool(EncoderOutput encoded, Tensor attentionMask);

    /// <summary>Logits [B, labels] from representations [B, H] (dropout in training mode, as in Forward).</summary>
    Tensor Classify(Tensor pooled);
}
