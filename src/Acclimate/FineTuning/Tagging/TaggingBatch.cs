using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;

namespace Acclimate.FineTuning.Tagging;

/// <summary>A padded training batch for a <see cref="SequenceLabeler"/> with per-example loss weights [B].</summary>
public sealed record TaggingBatch(SequenceLabelerBatch Batch, Tensor Labels, Tensor Weights)
{
    /// <summary>Real (non-padding) tokens in the batch, counted on the host while collating.</summary>
    public long Tokens { get; init; }

    /// <summary>Right-pads examples (pad id <paramref name="padId"/>); word starts come from the word ids.</summary>
    public static TaggingBatch Collate(IReadOnlyList<LabelerExample> examples, long padId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new Errors.DataException("cannot build a batch of zero examples.");
        var length = examples.Max(e => e.Input.InputIds.Count);
        var count = examples.Count;
        var ids = new long[count * length];
        var mask = new long[count * length];
        var starts = new bool[count * length];
        var labels = new long[count * length];
        Array.Fill(ids, padId);
        Array.Fill(labels, SubwordAlignment.IgnoreIndex);
        for (var r = 0; r < count; r++)
        {
            var e = examples[r];
            if (e.TokenLabels.Length != e.Input.InputIds.Count)
                throw new Errors.DataException($"example {r}: {e.TokenLabels.Length} labels for {e.Input.InputIds.Count} tokens; expected one per token.");
            var rowStarts = SubwordAlignment.WordStarts(e.Input.WordIds);
            for (var t = 0; t < e.Input.InputIds.Count; t++)
            {
                ids[r * length + t] = e.Input.InputIds[t];
                mask[r * length + t] = 1;
                starts[r * length + t] = rowStarts[t];
                labels[r * length + t] = e.TokenLabels[t];
            }
        }
        var shape = new long[] { count, length };
        var labelTensor = tensor(labels, shape, device: device);
        return new TaggingBatch(
            new SequenceLabelerBatch(tensor(ids, shape, device: device), tensor(mask, shape, device: device), tensor(starts, shape, device: device)),
            labelTensor,
            tensor(examples.Select(e => e.Weight).ToArray(), device: device))
        {
            Tokens = examples.Sum(e => (long)e.Input.InputIds.Count),
        };
    }
}
