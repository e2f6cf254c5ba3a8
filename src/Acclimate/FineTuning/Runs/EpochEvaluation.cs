namespace Acclimate.FineTuning.Runs;

/// <summary>The dev evaluation after one epoch: its scores, the training step, and whether it is the best so far.</summary>
public sealed record EpochEvaluation(int Epoch, long Step, double TrainLoss, TaggingScores Scores, bool IsBest);
