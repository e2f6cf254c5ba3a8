namespace Acclimate.Pretraining;

/// <summary>
/// One sequence for the MLM collator: token ids with special tokens already added, unpadded.
/// Optional parts: segment ids (sentence pairs), the example's stable index (static masking),
/// word-continuation positions (Chinese whole-word reference) and a sentence-level label
/// (NSP/SOP).
/// </summary>
public sealed record MlmExample(IReadOnlyList<int> InputIds)
{
    /// <summary>Segment ids, same length as <see cref="InputIds"/>; null = all zero.</summary>
    public IReadOnlyList<int>? TokenTypeIds { get; init; }

    /// <summary>A stable index of the example in its corpus (document or block number); static masking keys the mask on it.</summary>
    public long? ExampleIndex { get; init; }

    /// <summary>
    /// Positions (indices into <see cref="InputIds"/>) whose token continues the previous token's
    /// word, as in HF run_mlm_wwm's Chinese reference file. Used on top of the vocabulary's
    /// word-start rule by whole-word masking.
    /// </summary>
    public IReadOnlyList<int>? ContinuationPositions { get; init; }

    /// <summary>NSP label (0 = B follows A, 1 = B is random) or SOP label (0 = in order, 1 = swapped).</summary>
    public int? SentenceLabel { get; init; }
}
