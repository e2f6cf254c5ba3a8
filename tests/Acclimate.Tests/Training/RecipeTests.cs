using Acclimate.Errors;
using Acclimate.Training;

namespace Acclimate.Tests.Training;

public sealed class RecipeTests
{
    private const string Dapt = """
        # a domain-adaptive pretraining run
        name: dapt-demo
        training:
          learning_rate: 1e-4
          schedule: cosine
          warmup_ratio: 0.06
          max_steps: 1000
          grad_accumulation: 4
          metric_for_best: eval_loss
        mlm:
          probability: 0.2
          whole_word: true
          special_tokens: [cls, sep]
        """;

    /// <summary>What a pretraining command might define for its own section.</summary>
    public sealed record MlmOptions : IValidatedOptions
    {
        public double Probability { get; init; } = 0.15;
        public bool WholeWord { get; init; }
        public IReadOnlyList<string> SpecialTokens { get; init; } = Array.Empty<string>();
        public string? VocabFile { get; init; }
        [RecipeKey("mask_token")] public string Mask { get; init; } = "[MASK]";

        public IEnumerable<string> Problems()
        {
            if (!(Probability > 0 && Probability < 1)) yield return $"probability must be in (0, 1) (got {Probability})";
        }
    }

    /// <summary>A whole-recipe record, as a command binds it with Recipe.Bind.</summary>
    public sealed record DaptRecipe
    {
        public string Name { get; init; } = "run";
        public TrainingOptions Training { get; init; } = new();
        public MlmOptions Mlm { get; init; } = new();
    }

    [Fact]
    public void SectionsBindToOptionRecordsWithDefaultsForTheRest()
    {
        var recipe = Recipe.Parse(Dapt, "dapt.yaml");
        var training = recipe.Section<TrainingOptions>("training");
        Assert.Equal(1e-4, training.LearningRate);
        Assert.Equal(ScheduleKind.Cosine, training.Schedule);
        Assert.Equal(0.06, training.WarmupRatio);
        Assert.Equal(1000, training.MaxSteps);
        Assert.Equal(4, training.GradAccumulation);
        Assert.Equal(new TrainingOptions().WeightDecay, training.WeightDecay);   // not in the file: default
        var mlm = recipe.Section<MlmOptions>("mlm");
        Assert.Equal(0.2, mlm.Probability);
        Assert.True(mlm.WholeWord);
        Assert.Equal(new[] { "cls", "sep" }, mlm.SpecialTokens);
        Assert.Null(mlm.VocabFile);
        Assert.Equal(new TrainingOptions(), recipe.Section<TrainingOptions>("absent"));
    }

    [Fact]
    public void AnUnknownKeyNamesFileLineKeyAndTheValidKeys()
    {
        var yaml = "training:\n  learning_rate: 1e-4\n  lr_decay: 0.9\n";
        var e = Assert.Throws<ConfigException>(() => Recipe.Parse(yaml, "recipes/ner.yaml").Section<TrainingOptions>("training"));
        Assert.StartsWith("recipes/ner.yaml:3:3: unknown key 'training.lr_decay'", e.Message);
        Assert.Contains("learning_rate, weight_decay, adam_beta1", e.Message);
        Assert.Contains("early_stopping_patience", e.Message);
    }

    [Fact]
    public void LoadNamesTheRealFile()
    {
        using var folder = TestPaths.NewTempFolder();
        var path = folder.File("r.yaml");
        File.WriteAllText(path, "training:\n  epochs: three\n");
        var e = Assert.Throws<ConfigException>(() => Recipe.Load(path).Section<TrainingOptions>("training"));
        Assert.Equal($"{path}:2:11: 'training.epochs' is 'three'; expected an integer.", e.Message);
        Assert.Throws<ConfigException>(() => Recipe.Load(folder.File("missing.yaml")));
    }

    [Theory]
    [InlineData("training:\n  schedule: exponential\n", "r.yaml:2:13: 'training.schedule' is 'exponential'; expected one of linear, cosine, constant, constant_with_warmup.")]
    [InlineData("training:\n  clip_norm: [1, 2]\n", "r.yaml:2:14: 'training.clip_norm' expects a number, found a list.")]
    [InlineData("training:\n  learning_rate: -3\n", "r.yaml:2:3: 'training': learning_rate must be > 0 (got -3).")]
    [InlineData("training: 5\n", "r.yaml:1:11: 'training' must be a mapping of keys to values (found the value '5').")]
    [InlineData("training:\n  seed: 1\n  seed: 2\n", "r.yaml:3:3: not valid YAML (Duplicate key seed).")]
    [InlineData("training:\n  greater_is_better: yes\n", "r.yaml:2:22: 'training.greater_is_better' is 'yes'; expected true or false.")]
    public void BadValuesAreReportedWithTheirLine(string yaml, string message)
    {
        var e = Assert.Throws<ConfigException>(() => Recipe.Parse(yaml, "r.yaml").Section<TrainingOptions>("training"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void EnumValuesAcceptSnakeCaseAndPascalCase()
    {
        Assert.Equal(ScheduleKind.ConstantWithWarmup, Recipe.Parse("t:\n  schedule: constant_with_warmup\n", "r").Section<TrainingOptions>("t").Schedule);
        Assert.Equal(ScheduleKind.ConstantWithWarmup, Recipe.Parse("t:\n  schedule: ConstantWithWarmup\n", "r").Section<TrainingOptions>("t").Schedule);
    }

    [Fact]
    public void OverridesApplyBeforeBindingAndCanAddKeysAndSections()
    {
        var recipe = Recipe.Parse(Dapt, "dapt.yaml", new[]
        {
            "training.learning_rate=3e-5",
            "training.seed=7",
            "mlm.special_tokens=[a, b, c]",
            "extra.note=hello: world",
        });
        var training = recipe.Section<TrainingOptions>("training");
        Assert.Equal(3e-5, training.LearningRate);
        Assert.Equal(7, training.Seed);
        Assert.Equal(ScheduleKind.Cosine, training.Schedule);
        Assert.Equal(new[] { "a", "b", "c" }, recipe.Section<MlmOptions>("mlm").SpecialTokens);
        Assert.Contains("extra", recipe.SectionNames);
    }

    [Fact]
    public void AnOverrideOfAnUnknownKeyNamesTheOverride()
    {
        var recipe = Recipe.Parse(Dapt, "dapt.yaml", new[] { "training.learnin_rate=3e-5" });
        var e = Assert.Throws<ConfigException>(() => recipe.Section<TrainingOptions>("training"));
        Assert.StartsWith("--set training.learnin_rate=3e-5: unknown key 'training.learnin_rate'", e.Message);
        Assert.Throws<ConfigException>(() => Recipe.Parse(Dapt, "dapt.yaml", new[] { "no-equals-sign" }));
        var intoValue = Assert.Throws<ConfigException>(() => Recipe.Parse(Dapt, "dapt.yaml", new[] { "name.first=x" }));
        Assert.Contains("'name' is a value, not a section", intoValue.Message);
    }

    [Fact]
    public void UnknownSectionsAreRejectedWhenTheCommandSaysWhichItReads()
    {
        var recipe = Recipe.Parse(Dapt, "dapt.yaml");
        var e = Assert.Throws<ConfigException>(() => recipe.RequireOnlySections("name", "training"));
        Assert.Equal("dapt.yaml:10:1: unknown section 'mlm' (valid sections: name, training).", e.Message);
        recipe.RequireOnlySections("name", "training", "mlm");
    }

    [Fact]
    public void TheResolvedRecipeHoldsEveryOptionAndReloadsToTheSameRecords()
    {
        var recipe = Recipe.Parse(Dapt, "dapt.yaml", new[] { "training.seed=9" });
        var training = recipe.Section<TrainingOptions>("training");
        var mlm = recipe.Section<MlmOptions>("mlm");
        var yaml = recipe.ToYaml();
        Assert.Contains("weight_decay: 0.01", yaml);          // a default, written out
        Assert.Contains("schedule: cosine", yaml);
        Assert.Contains("name: dapt-demo", yaml);             // a section nobody bound, kept as given
        Assert.Contains("mask_token: \"[MASK]\"", yaml);

        var again = Recipe.Parse(yaml, "recipe.yaml");
        Assert.Equal(training, again.Section<TrainingOptions>("training"));
        var mlmAgain = again.Section<MlmOptions>("mlm");
        Assert.Equal(mlm.SpecialTokens, mlmAgain.SpecialTokens);
        Assert.Equal(mlm with { SpecialTokens = mlmAgain.SpecialTokens }, mlmAgain);
    }

    [Fact]
    public void AWholeRecipeBindsToOneRecordAndRoundTrips()
    {
        var recipe = Recipe.Parse(Dapt, "dapt.yaml");
        var bound = recipe.Bind<DaptRecipe>();
        Assert.Equal("dapt-demo", bound.Name);
        Assert.Equal(4, bound.Training.GradAccumulation);
        var again = Recipe.Parse(recipe.ToYaml(), "recipe.yaml").Bind<DaptRecipe>();
        Assert.Equal(bound.Training, again.Training);
        Assert.Equal(bound.Mlm.SpecialTokens, again.Mlm.SpecialTokens);

        var e = Assert.Throws<ConfigException>(() => Recipe.Parse("trainin:\n  seed: 1\n", "r.yaml").Bind<DaptRecipe>());
        Assert.Equal("r.yaml:1:1: unknown section 'trainin' (valid sections: name, training, mlm).", e.Message);
    }

    [Fact]
    public void InvalidYamlIsAConfigErrorWithItsPosition()
    {
        var e = Assert.Throws<ConfigException>(() => Recipe.Parse("training:\n  seed: [1, 2\n", "r.yaml"));
        Assert.StartsWith("r.yaml:", e.Message);
        Assert.Contains("not valid YAML", e.Message);
        Assert.Throws<ConfigException>(() => Recipe.Parse("- a\n- b\n", "r.yaml"));
    }

    [Fact]
    public void EmptyRecipeGivesDefaults()
    {
        Assert.Equal(new TrainingOptions(), Recipe.Parse("", "r.yaml").Section<TrainingOptions>("training"));
        Assert.Equal(new TrainingOptions(), Recipe.Parse("training:\n", "r.yaml").Section<TrainingOptions>("training"));
    }

    [Theory]
    [InlineData("LearningRate", "learning_rate")]
    [InlineData("AdamBeta1", "adam_beta1")]
    [InlineData("MLMProbability", "mlm_probability")]
    [InlineData("Seed", "seed")]
    public void KeysAreSnakeCase(string property, string key) => Assert.Equal(key, RecipeNames.SnakeCase(property));
}
