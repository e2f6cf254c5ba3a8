namespace Acclimate.Adaptation.Augmentation;

/// <summary>One output example of <see cref="Augmenter"/>.</summary>
/// <param name="Sentence">The sentence.</param>
/// <param name="Operation">The operation that made it; null for the original.</param>
/// <param name="Changed">False for the original, and for a copy no operation could change.</param>
public sealed record AugmentedCopy(AugmentableSentence Sentence, string? Operation, bool Changed);
