namespace Acclimate.FineTuning;

/// <summary>How the CRF's per-sequence negative log-likelihoods become one loss.</summary>
public enum CrfReduction
{
    /// <summary>No reduction: one value per sequence, [batch].</summary>
    None,
    /// <summary>Sum over sequences (pytorch-crf's default).</summary>
    Sum,
    /// <summary>Mean over the non-empty sequences of the batch.</summary>
    Mean,
    /// <summary>Sum divided by the number of real (unmasked) positions, comparable to a per-token cross-entropy.</summary>
    TokenMean,
}
