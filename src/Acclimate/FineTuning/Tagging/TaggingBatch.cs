using Acclimate.Data.Batching;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

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
        for (var r = 0; r < examples.Count; r++)
            if (examples[r].TokenLabels.Length != examples[r].Input.InputIds.Count)
                throw new Errors.DataException($"example {r}: {examples[r].TokenLabels.Length} labels for {examples[r].Input.InputIds.Count} tokens; expected one per token.");
        var inputs = SequenceLabelerBatch.Collate(examples.Select(e => e.Input).ToArray(), padId, device);
        var width = (int)inputs.InputIds.shape[1];
        var labels = RightPadding.Pad(examples.Select(e => (IReadOnlyList<long>)e.TokenLabels).ToArray(), width, (long)SubwordAlignment.IgnoreIndex);
        return new TaggingBatch(
            inputs,
            tensor(labels, new long[] { examples.Count, width }, device: device),
            tensor(examples.Select(e => e.Weight).ToArray(), device: device))
        {
            Tokens = examples.Sum(e => (long)e.Input.InputIds.Count),
        };
    }
}
