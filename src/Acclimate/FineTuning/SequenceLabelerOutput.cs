using Acclimate.Models;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// What a <see cref="SequenceLabeler"/> returns for a batch: the encoder output, per-token label
/// scores (the CRF's emissions when there is a CRF), the word layout with per-word scores (when
/// word starts were known), and the loss when labels were given. The tensors belong to the
/// caller's dispose scope.
/// </summary>
public sealed record SequenceLabelerOutput(
    EncoderOutput Encoder,
    Tensor TokenEmissions,
    WordPositions? Words,
    Tensor? WordEmissions,
    Tensor? Loss);
