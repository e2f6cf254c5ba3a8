using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// The training loss of a tagging batch with per-example weights: (1/B) Σᵢ wᵢ·Lᵢ, where Lᵢ is
/// example i's loss — the CRF's negative log-likelihood of its word tags, or without a CRF the
/// mean cross-entropy over its labelled tokens. Over a whole dataset of n gold and m pseudo
/// examples in one batch this is exactly (1/(n+m)) Σ wᵢ·Lᵢ; with all weights 1 it is the plain mean.
/// </summary>
public static class WeightedTaggingLoss
{
    /// <summary>Per-example losses [B] (before weighting).</summary>
    public static Tensor PerExample(SequenceLabeler labeler, TaggingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(labeler);
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        return PerExample(labeler, batch, labeler.Run(batch.Batch)).MoveToOuterDisposeScope();
    }

    /// <summary>Per-example losses [B] from an output the caller already computed for <paramref name="batch"/> (so its features can be used too).</summary>
    public static Tensor PerExample(SequenceLabeler labeler, TaggingBatch batch, SequenceLabelerOutput output)
    {
        ArgumentNullException.ThrowIfNull(labeler);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        using var scope = NewDisposeScope();
        Tensor losses;
        if (labeler.Head.Crf is { } crf)
        {
            var words = output.Words ?? throw new InvalidOperationException("the batch has no word starts.");
            var wordLabels = words.Gather(batch.Labels);
            losses = crf.NegativeLogLikelihood(output.WordEmissions!, wordLabels, words.Mask, CrfReduction.None);
        }
        else
        {
            var emissions = output.TokenEmissions;
            var (b, t) = (emissions.shape[0], emissions.shape[1]);
            var ce = nn.functional.cross_entropy(emissions.reshape(-1, emissions.shape[^1]), batch.Labels.reshape(-1),
                ignore_index: SubwordAlignment.IgnoreIndex, reduction: nn.Reduction.None).reshape(b, t);
            var counts = batch.Labels.ne(SubwordAlignment.IgnoreIndex).sum(1).clamp_min(1).to(ce.dtype);
            losses = ce.sum(1) / counts;
        }
        return losses.MoveToOuterDisposeScope();
    }

    /// <summary>(1/B) Σ wᵢ·Lᵢ over the batch.</summary>
    public static Tensor Compute(SequenceLabeler labeler, TaggingBatch batch)
    {
        using var scope = NewDisposeScope();
        return Weighted(PerExample(labeler, batch), batch).MoveToOuterDisposeScope();
    }

    /// <summary>(1/B) Σ wᵢ·Lᵢ from an output the caller already computed for <paramref name="batch"/>.</summary>
    public static Tensor Compute(SequenceLabeler labeler, TaggingBatch batch, SequenceLabelerOutput output)
    {
        using var scope = NewDisposeScope();
        return Weighted(PerExample(labeler, batch, output), batch).MoveToOuterDisposeScope();
    }

    private static Tensor Weighted(Tensor losses, TaggingBatch batch)
    {
        var weights = batch.Weights.to(losses.dtype);
        return (losses * weights).sum() / losses.shape[0];
    }
}
