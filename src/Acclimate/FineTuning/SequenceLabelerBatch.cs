using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// One batch for a <see cref="SequenceLabeler"/>, right-padded. <see cref="WordStarts"/> marks the
/// first subword of each word (where predictions are read and where the CRF steps); when it is
/// null and labels are given, the label-bearing positions (label ≠ -100) are used, which is right
/// for first-subword-only labels.
/// </summary>
/// <param name="InputIds">[B, L] int64.</param>
/// <param name="AttentionMask">[B, L] 1 for real tokens, 0 for padding (a prefix of each row).</param>
/// <param name="WordStarts">[B, L] bool, or null (see above).</param>
/// <param name="TokenTypeIds">[B, L] or null for all zeros.</param>
/// <param name="Labels">[B, L] int64 label ids per token, -100 where no label applies; null for prediction.</param>
public sealed record SequenceLabelerBatch(Tensor InputIds, Tensor AttentionMask, Tensor? WordStarts = null, Tensor? TokenTypeIds = null, Tensor? Labels = null);
