using System.Globalization;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// The dev evaluation after one epoch: its scores, the training step, the mean training loss of the
/// epoch, whether it is the best so far, and which model of the run it belongs to (<see cref="Label"/>:
/// empty for a plain run, "fold 2" or "round 1" for cross-validation folds and pseudo-label rounds).
/// </summary>
public sealed record EpochEvaluation(int Epoch, long Step, double TrainLoss, TaggingScores Scores, bool IsBest, string Label = "")
{
    /// <summary>This epoch's section of a run's epochs.md: a heading and the scores table.</summary>
    public string ToMarkdown() => string.Create(CultureInfo.InvariantCulture,
        $"\n### {(Label.Length > 0 ? Label + ", " : "")}epoch {Epoch} (step {Step}, train loss {TrainLoss:F4}){(IsBest ? " — best so far" : "")}\n\n{Scores.ToMarkdown()}");
}
