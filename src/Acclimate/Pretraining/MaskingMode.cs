namespace Acclimate.Pretraining;

/// <summary>When a sequence's mask is drawn.</summary>
public enum MaskingMode
{
    /// <summary>RoBERTa's dynamic masking: a fresh mask every time a sequence is collated, drawn from the caller's generator.</summary>
    Dynamic,
    /// <summary>
    /// BERT's original static masking: the mask depends only on the example's index and a fixed
    /// seed, so every epoch sees the same mask for the same example.
    /// </summary>
    Static,
}

/// <summary>How token-level masking chooses positions (whole-word masking always uses a count, as HF).</summary>
public enum MaskSelection
{
    /// <summary>Each maskable position is selected independently with the mask probability (HF DataCollatorForLanguageModeling).</summary>
    Bernoulli,
    /// <summary>
    /// Exactly max(1, round(n·p)) of the n maskable positions, chosen uniformly (BERT's
    /// create_pretraining_data); never leaves a non-empty sequence without a prediction.
    /// </summary>
    ExactCount,
}

/// <summary>What the collator did to one position.</summary>
internal enum MaskAction : byte
{
    /// <summary>Not selected: label -100, token unchanged.</summary>
    None,
    /// <summary>Selected and replaced by the mask token.</summary>
    Mask,
    /// <summary>Selected and replaced by a random non-special token.</summary>
    Random,
    /// <summary>Selected and left unchanged (the model must still predict it).</summary>
    Keep,
}
