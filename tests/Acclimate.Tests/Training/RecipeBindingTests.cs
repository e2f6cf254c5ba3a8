using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.Pretraining;
using Acclimate.Training;

namespace Acclimate.Tests.Training;

/// <summary>
/// The one recipe binder (<see cref="Recipe.Bind{T}"/>): the section list is the record's properties,
/// so the names a command lists and the sections it binds cannot drift; positional records, defaults
/// of absent and nested sections, a hint for a key that moved a level down, retired keys.
/// </summary>
public sealed class RecipeBindingTests
{
    public sealed record StageOptions
    {
        public TrainingOptions Training { get; init; } = new() { MaxSteps = 300, LearningRate = 1e-3, LogEvery = 25 };
        public int EvalMaxBlocks { get; init; } = 256;
    }

    public sealed record Positional(StageOptions Stage, TrainingOptions Training)
    {
        public LoraOptions Lora { get; init; } = new();
    }

    public sealed record WithInitializers
    {
        public StageOptions Stage { get; init; } = new();
        public PretrainingForgettingOptions Forgetting { get; init; } = new() { RehearsalDomain = 3, RehearsalGeneral = 1 };
    }

    [Fact]
    public void TheSectionNamesAreTheRecordsPropertiesInOrder()
    {
        Assert.Equal(new[] { "run", "model", "objective", "data", "general", "forgetting", "training", "lora" }, PretrainingRecipe.SectionNames);
        Assert.Equal(new[] { "model", "data", "training", "optimizer", "output", "cross_validation", "pseudo_labels", "adaptation", "adversarial", "mixup", "lora" },
            FineTuneRecipe.SectionNames);
        Assert.Equal(new[] { "stage", "training", "lora" }, Recipe.SectionNamesOf<Positional>());
    }

    [Fact]
    public void AnUnknownSectionListsExactlyTheSectionsThatBind()
    {
        var e = Assert.Throws<ConfigException>(() => PretrainingRecipe.From(Recipe.Parse("data:\n  train: a.txt\nforgeting:\n  ewc: 1\n", "p.yaml")));
        Assert.Equal($"p.yaml:3:1: unknown section 'forgeting' (valid sections: {string.Join(", ", PretrainingRecipe.SectionNames)}).", e.Message);
        var f = Assert.Throws<ConfigException>(() => FineTuneRecipe.From(Recipe.Parse("mixupp:\n  alpha: 1\n", "f.yaml")));
        Assert.Equal($"f.yaml:1:1: unknown section 'mixupp' (valid sections: {string.Join(", ", FineTuneRecipe.SectionNames)}).", f.Message);
    }

    [Fact]
    public void APositionalRecordBindsThroughItsConstructorAndRoundTrips()
    {
        var recipe = Recipe.Parse("training:\n  seed: 5\nlora:\n  rank: 4\n", "r.yaml");
        var bound = recipe.Bind<Positional>();
        Assert.Equal(5, bound.Training.Seed);
        Assert.Equal(4, bound.Lora.Rank);
        Assert.Equal(300, bound.Stage.Training.MaxSteps);   // absent: the section type's defaults
        var again = Recipe.Parse(recipe.ToYaml(), "recipe.yaml").Bind<Positional>();
        Assert.Equal(bound.Training, again.Training);
        Assert.Equal(bound.Stage.Training, again.Stage.Training);
    }

    [Fact]
    public void AbsentSectionsTakeTheInitializerAndNestedRecordsKeepTheEnclosingDefaults()
    {
        var absent = Recipe.Parse("stage:\n  eval_max_blocks: 8\n", "r.yaml").Bind<WithInitializers>();
        Assert.Equal((3, 1), (absent.Forgetting.RehearsalDomain, absent.Forgetting.RehearsalGeneral));
        Assert.Equal(8, absent.Stage.EvalMaxBlocks);
        Assert.Equal(300, absent.Stage.Training.MaxSteps);

        // A given section is the whole story (its type's defaults for the rest): ewc alone is EWC alone.
        var given = Recipe.Parse("forgetting:\n  ewc: 10\nstage:\n  training:\n    max_steps: 7\n", "r.yaml").Bind<WithInitializers>();
        Assert.Equal(0, given.Forgetting.RehearsalGeneral);
        Assert.Equal(10, given.Forgetting.Ewc);
        // Inside it, the nested training: keeps the stage's own defaults for the keys it does not give.
        Assert.Equal(7, given.Stage.Training.MaxSteps);
        Assert.Equal(1e-3, given.Stage.Training.LearningRate);
        Assert.Equal(25, given.Stage.Training.LogEvery);
        Assert.Equal(300, new StageOptions().Training.MaxSteps);   // the default instance was copied, not changed
    }

    [Fact]
    public void AKeyThatMovedIntoANestedSectionSaysWhereItGoes()
    {
        var e = Assert.Throws<ConfigException>(() => Recipe.Parse("stage:\n  eval_max_blocks: 8\n  max_steps: 20\n", "r.yaml").Bind<WithInitializers>());
        Assert.Equal("r.yaml:3:3: unknown key 'stage.max_steps' (valid keys in 'stage': training, eval_max_blocks); 'max_steps' is a key of 'stage.training': write it as stage.training.max_steps.", e.Message);
    }

    [Fact]
    public void ARetiredKeyIsAnErrorAtItsPositionSayingWhatToWrite()
    {
        var recipe = Recipe.Parse("forgetting:\n  rehearsal_general: 1\n  control: ewc\n", "r.yaml");
        recipe.RejectRetiredKey("forgetting.mode", "unused");   // absent: nothing happens
        var e = Assert.Throws<ConfigException>(() => recipe.RejectRetiredKey("forgetting.control", "set ewc instead"));
        Assert.Equal("r.yaml:3:3: 'forgetting.control' is no longer a recipe key: set ewc instead.", e.Message);
    }
}
