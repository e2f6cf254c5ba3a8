using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;

namespace Acclimate.FineTuning.Tagging;

/// <summary>The dev evaluation after one epoch: its scores, the training step, and whether it is the best so far.</summary>
public sealed record EpochEvaluation(int Epoch, long Step, double TrainLoss, TaggingScores Scores, bool IsBest);
