using Acclimate.Training;

namespace Acclimate.FineTuning.Runs;

/// <summary>
/// A fine-tuning recipe, section by section (<c>model</c>, <c>data</c>, <c>training</c>,
/// <c>optimizer</c>, <c>output</c>, <c>cross_validation</c>, <c>pseudo_labels</c>); unknown
/// sections or keys fail naming the file and line.
/// </summary>
public sealed record FineTuneRecipe(
    FineTuneModelOptions Model,
    FineTuneDataOptions Data,
    TrainingOptions Training,
    FineTuneOptimizerOptions Optimizer,
    FineTuneOutputOptions Output,
    CrossValidationOptions CrossValidation,
    PseudoLabelOptions PseudoLabels)
{
    public static readonly string[] SectionNames = { "model", "data", "training", "optimizer", "output", "cross_validation", "pseudo_labels" };

    /// <summary>Binds every section of <paramref name="recipe"/> (absent sections take their defaults).</summary>
    public static FineTuneRecipe From(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        recipe.RequireOnlySections(SectionNames);
        return new FineTuneRecipe(
            recipe.Section<FineTuneModelOptions>("model"),
            recipe.Section<FineTuneDataOptions>("data"),
            recipe.Section<TrainingOptions>("training"),
            recipe.Section<FineTuneOptimizerOptions>("optimizer"),
            recipe.Section<FineTuneOutputOptions>("output"),
            recipe.Section<CrossValidationOptions>("cross_validation"),
            recipe.Section<PseudoLabelOptions>("pseudo_labels"));
    }
}
