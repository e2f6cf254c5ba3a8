namespace Acclimate.FineTuning;

/// <summary>Which subword tokens of a word carry the word's label.</summary>
public enum LabelAlignment
{
    /// <summary>Only the first subword; the others get -100 and take no part in the loss (HF's default).</summary>
    FirstSubword,
    /// <summary>
    /// Every subword: the first gets the word's tag, the continuations the I- tag of the word's
    /// type (never a second B-), or the same tag for labels without a B-/I- prefix (O, POS tags).
    /// </summary>
    AllSubwords,
}
