using Acclimate.Data.Datasets;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>A training sentence and the weight of its loss (W1 for gold, W2 for pseudo-labelled).</summary>
internal sealed record WeightedSentence(TaggedSentence Sentence, double Weight = 1.0);
