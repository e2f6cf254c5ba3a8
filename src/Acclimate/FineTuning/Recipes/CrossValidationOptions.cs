using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>The <c>cross_validation:</c> section: k-fold CV over the training set (0 folds = off).</summary>
public sealed record CrossValidationOptions : IValidatedOptions
{
    /// <summary>Number of folds; 0 turns cross-validation off, otherwise at least 2.</summary>
    public int Folds { get; init; }

    /// <summary>Seed of the fold assignment (independent of the training seed).</summary>
    public int Seed { get; init; } = 7;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (Folds == 1 || Folds < 0) yield return $"folds must be 0 (off) or >= 2 (got {Folds})";
    }
}
