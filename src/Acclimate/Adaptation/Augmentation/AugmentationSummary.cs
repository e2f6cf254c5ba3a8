namespace Acclimate.Adaptation.Augmentation;

/// <summary>What an <see cref="AugmentationJob"/> did.</summary>
/// <param name="Examples">Input examples.</param>
/// <param name="Written">Output examples (originals included).</param>
/// <param name="Copies">Augmented copies written.</param>
/// <param name="Unchanged">Copies no operation could change (written as the original).</param>
/// <param name="ByOperation">Changed copies per operation name.</param>
/// <param name="RepairedSentences">CoNLL: sentences whose tags broke the scheme and were read leniently.</param>
/// <param name="Elapsed">Wall time of reading, augmenting and writing (loading WordNet or a model included).</param>
public sealed record AugmentationSummary(
    int Examples, int Written, int Copies, int Unchanged, IReadOnlyDictionary<string, int> ByOperation, int RepairedSentences, TimeSpan Elapsed);
