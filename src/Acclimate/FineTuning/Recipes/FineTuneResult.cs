using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>The outcome of a fine-tuning run: its folder, the best model, and the best model's dev (and test) metrics.</summary>
public sealed record FineTuneResult(
    string RunFolder,
    string BestModelFolder,
    IReadOnlyDictionary<string, double> Dev,
    IReadOnlyDictionary<string, double>? Test,
    long BestStep);
