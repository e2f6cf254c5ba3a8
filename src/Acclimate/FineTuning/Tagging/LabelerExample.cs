using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>One training input for a <see cref="SequenceLabeler"/>: tokens with word ids, per-token label ids (-100 = none), and the weight of its loss.</summary>
public sealed record LabelerExample(LabelerInput Input, long[] TokenLabels, float Weight = 1f);
