using Acclimate.Data.Batching;
using Acclimate.Errors;
using Acclimate.Training;
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
public sealed record SequenceLabelerBatch(Tensor InputIds, Tensor AttentionMask, Tensor? WordStarts = null, Tensor? TokenTypeIds = null, Tensor? Labels = null)
{
    /// <summary>
    /// Right-pads tokenized inputs into a batch (<see cref="RightPadding"/>): ids padded with
    /// <paramref name="padId"/>, the attention mask, and word starts from the word ids; no labels.
    /// </summary>
    public static SequenceLabelerBatch Collate(IReadOnlyList<LabelerInput> inputs, long padId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new DataException("cannot build a batch of zero sequences.");
        var starts = new bool[inputs.Count][];
        for (var r = 0; r < inputs.Count; r++)
        {
            var input = inputs[r];
            if (input.WordIds.Count != input.InputIds.Count)
                throw new DataException($"sequence {r}: {input.InputIds.Count} token ids but {input.WordIds.Count} word ids; expected one word id per token.");
            if (input.InputIds.Count == 0) throw new DataException($"sequence {r} has no tokens (it needs at least the special tokens).");
            starts[r] = SubwordAlignment.WordStarts(input.WordIds);
        }
        var rows = inputs.Select(i => i.InputIds).ToArray();
        var width = RightPadding.Width(rows);
        var shape = new long[] { inputs.Count, width };
        return new SequenceLabelerBatch(
            tensor(RightPadding.Pad(rows, width, padId), shape, device: device),
            tensor(RightPadding.Mask(rows.Select(r => r.Count).ToArray(), width), shape, device: device),
            tensor(RightPadding.Pad<bool>(starts, width, false), shape, device: device));
    }
}
