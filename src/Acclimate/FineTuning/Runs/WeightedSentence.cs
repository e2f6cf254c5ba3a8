using Acclimate.Data.Datasets;

namespace Acclimate.FineTuning.Runs;

/// <summary>A training sentence and the weight of its loss (W1 for gold, W2 for pseudo-labelled).</summary>
public sealed record WeightedSentence(TaggedSentence Sentence, double Weight = 1.0);
