using Acclimate.Errors;
using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>
/// A fine-tuning recipe, section by section (<c>model</c>, <c>data</c>, <c>training</c>,
/// <c>optimizer</c>, <c>output</c>, <c>cross_validation</c>, <c>pseudo_labels</c>,
/// <c>adaptation</c>, <c>adversarial</c>, <c>mixup</c>, <c>lora</c>); unknown sections or keys fail naming the
/// file and line.
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
    /// <summary>The recipe's top-level section names (its properties, in order); any other section is an error.</summary>
    public static IReadOnlyList<string> SectionNames { get; } = Recipe.SectionNamesOf<FineTuneRecipe>();

    /// <summary>Feature-level adaptation with unlabeled target text (MMD, DANN); off by default.</summary>
    public AdaptationOptions Adaptation { get; init; } = new();

    /// <summary>FGM / PGD on the word embeddings; off by default.</summary>
    public AdversarialOptions Adversarial { get; init; } = new();

    /// <summary>Mixup of pooled representations (sequence classification only); off by default.</summary>
    public MixupOptions Mixup { get; init; } = new();

    /// <summary>LoRA adapters on the encoder instead of full fine-tuning; off by default.</summary>
    public LoraOptions Lora { get; init; } = new();

    /// <summary>Binds every section of <paramref name="recipe"/> (absent sections take their defaults).</summary>
    public static FineTuneRecipe From(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var bound = recipe.Bind<FineTuneRecipe>();
        // Checks that need two sections at once.
        if (bound.Mixup.Enabled && bound.Model.Task != FineTuneTask.SequenceClassification)
            throw new ConfigException($"{recipe.Source}: 'mixup' mixes pooled sentence representations and labels, so it needs model.task sequence_classification (the task is {RecipeNames.EnumValue(bound.Model.Task)}); remove the mixup section for token classification.");
        if (bound.Data.TrainWeights is not null && bound.Data.Format == DatasetFormat.Brown)
            throw new ConfigException($"{recipe.Source}: data.train_weights gives one weight per line of data.train; the brown format has no training file (it splits by genre).");
        if (bound.Data.TrainWeights is not null && bound.Model.Task == FineTuneTask.SequenceClassification)
            throw new ConfigException($"{recipe.Source}: data.train_weights is supported for token classification only (sequence classification trains unweighted); remove it.");
        return bound;
    }
}
