using Acclimate.Models;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// A collated MLM batch. All tensors are int64 on the CPU; [B, L] unless noted. Owns its tensors:
/// dispose it (or let the step's dispose scope collect them).
/// </summary>
public sealed class MlmBatch : IDisposable
{
    internal MlmBatch(Tensor inputIds, Tensor originalInputIds, Tensor attentionMask, Tensor? tokenTypeIds, Tensor labels,
        Tensor maskedPositions, Tensor maskedLabels, Tensor? sentenceLabels)
    {
        InputIds = inputIds;
        OriginalInputIds = originalInputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        Labels = labels;
        MaskedPositions = maskedPositions;
        MaskedLabels = maskedLabels;
        SentenceLabels = sentenceLabels;
    }

    /// <summary>The corrupted ids the model sees (mask / random / kept tokens at selected positions), padded.</summary>
    public Tensor InputIds { get; }

    /// <summary>The ids before masking, padded (replaced-token detection compares against these).</summary>
    public Tensor OriginalInputIds { get; }

    /// <summary>1 for real tokens, 0 for padding.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>Real (non-padding) tokens, counted on the host while collating.</summary>
    public long RealTokens { get; init; }

    /// <summary>Segment ids, or null when no example had any.</summary>
    public Tensor? TokenTypeIds { get; }

    /// <summary>The original id at selected positions, -100 elsewhere (HF's labels).</summary>
    public Tensor Labels { get; }

    /// <summary>[M] flat indices (b·L + t) of the selected positions, in row-major order.</summary>
    public Tensor MaskedPositions { get; }

    /// <summary>[M] the original ids at <see cref="MaskedPositions"/>.</summary>
    public Tensor MaskedLabels { get; }

    /// <summary>[B] NSP/SOP labels, or null.</summary>
    public Tensor? SentenceLabels { get; }

    /// <summary>Rows in the batch (B).</summary>
    public long BatchSize => InputIds.shape[0];
    /// <summary>Padded length (L).</summary>
    public long SequenceLength => InputIds.shape[1];
    /// <summary>Selected positions over the batch (M).</summary>
    public long MaskedCount => MaskedPositions.shape[0];

    /// <summary>The batch as HF model arguments, with labels (and sentence labels when present).</summary>
    public ModelInputs ToModelInputs() =>
        new(InputIds, AttentionMask, TokenTypeIds) { Labels = Labels, SentenceLabels = SentenceLabels };

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        OriginalInputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds?.Dispose();
        Labels.Dispose();
        MaskedPositions.Dispose();
        MaskedLabels.Dispose();
        SentenceLabels?.Dispose();
    }
}
