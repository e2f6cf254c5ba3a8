using Acclimate.Errors;

namespace Acclimate.Pretraining;

/// <summary>
/// How <see cref="SentencePairBuilder"/> cuts documents into [CLS] A [SEP] B [SEP] pairs. Defaults
/// are HF's TextDatasetForNextSentencePrediction / ALBERT's: 10% of documents aim at a shorter
/// random target length, 50% random-next (NSP) or swapped (SOP).
/// </summary>
public sealed record SentencePairOptions
{
    /// <summary>Validated pair settings.</summary>
    /// <param name="task">NSP or SOP.</param>
    /// <param name="maxLength">Longest pair including its three special tokens.</param>
    /// <param name="clsId">Id placed first.</param>
    /// <param name="sepId">Id placed after each segment.</param>
    public SentencePairOptions(SentencePairTask task, int maxLength, int clsId, int sepId)
    {
        if (maxLength < 5)
            throw new ConfigException($"sentence pairs need at least 5 positions ([CLS] a [SEP] b [SEP]); max length is {maxLength}.");
        if (clsId < 0 || sepId < 0)
            throw new ConfigException($"[CLS] and [SEP] ids must be non-negative, found {clsId} and {sepId}.");
        Task = task;
        MaxLength = maxLength;
        ClsId = clsId;
        SepId = sepId;
    }

    /// <summary>Next-sentence or sentence-order prediction.</summary>
    public SentencePairTask Task { get; }

    /// <summary>Longest pair including its three special tokens (HF block_size).</summary>
    public int MaxLength { get; }

    /// <summary>Id placed first in every pair.</summary>
    public int ClsId { get; }
    /// <summary>Id placed after each segment.</summary>
    public int SepId { get; }

    /// <summary>Probability that a document aims at a random target length in [2, MaxLength − 3] instead of the maximum.</summary>
    public double ShortSequenceProbability { get; init; } = 0.1;

    /// <summary>NSP: probability that B is a random segment from another document. SOP: probability that A and B are swapped.</summary>
    public double NegativeProbability { get; init; } = 0.5;

    /// <summary>Tokens available for A and B together.</summary>
    public int MaxContentTokens => MaxLength - 3;

    /// <summary>Checks the probabilities.</summary>
    /// <exception cref="Acclimate.Errors.ConfigException">A probability is outside [0, 1].</exception>
    public void Validate()
    {
        if (ShortSequenceProbability is < 0 or > 1)
            throw new ConfigException($"short-sequence probability must be in [0, 1], found {ShortSequenceProbability}.");
        if (NegativeProbability is < 0 or > 1)
            throw new ConfigException($"negative (random-next / swap) probability must be in [0, 1], found {NegativeProbability}.");
    }
}
