using Acclimate.Cli;
using Acclimate.Demos;
using Acclimate.Errors;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using Acclimate.Training;

namespace Acclimate.Tests.Demo;

/// <summary>
/// The demo recipes embed the real <c>training:</c> and <c>forgetting:</c> sections: the shipped
/// recipes bind to the values the demos used before, and the old layout fails saying what to move.
/// </summary>
public sealed class DemoRecipeTests
{
    private static Recipe Shipped(string name) => Recipe.Load(Path.Combine(TestPaths.RepoRoot, "recipes", name));

    [Fact]
    public void TheAdaptationDemoRecipeGivesTheStagesTheirTrainingSections()
    {
        var r = AdaptationDemoRecipe.From(Shipped("demo.yaml"));
        var dapt = r.Dapt.TrainingFor(seed: 8, threads: 2, device: "cpu");
        Assert.Equal(new TrainingOptions
        {
            MaxSteps = 200, BatchSize = 16, LearningRate = 1e-4, WarmupRatio = 0.06, LogEvery = 20, Precision = ComputePrecision.Bf16,
            SaveEvery = 200, KeepLast = 1, Seed = 8, Threads = 2, Device = "cpu",
        }, dapt);
        Assert.Equal(80, r.Warmup.HeadSteps);
        Assert.Equal(30, r.Warmup.Training.MaxSteps);
        Assert.Equal(new PretrainingForgettingOptions { RehearsalDomain = 4, RehearsalGeneral = 1 }, r.Forgetting);
        var tagger = r.Finetune.TrainingFor(seed: 3, threads: 2, device: "cpu");
        Assert.Equal(new TrainingOptions
        {
            Epochs = 3, BatchSize = 16, LearningRate = 5e-5, WarmupRatio = 0.1, ClipNorm = 1.0, Precision = ComputePrecision.Bf16, LogEvery = 50,
            MetricForBest = "f1", GreaterIsBetter = true, Seed = 3, Threads = 2, Device = "cpu",
        }, tagger);
        Assert.Equal(new[] { "encoder", "data", "warmup", "dapt", "forgetting", "finetune" }, AdaptationDemoRecipe.SectionNames);
    }

    [Fact]
    public void TheScratchDemoRecipeKeepsTheStageDefaultsForKeysItDoesNotGive()
    {
        var r = DemoRecipe.From(Shipped("demo-scratch-quick.yaml"));
        Assert.Equal(new TrainingOptions { MaxSteps = 12, BatchSize = 8, LearningRate = 1e-3, WarmupRatio = 0.06, LogEvery = 4 }, r.Pretrain.Training);
        Assert.Equal((2, 1), (r.Forgetting.RehearsalDomain, r.Forgetting.RehearsalGeneral));
        Assert.Equal("accuracy", r.Finetune.Training.MetricForBest);
        Assert.Equal(new[] { "data", "vocabulary", "model", "pretrain", "dapt", "forgetting", "finetune" }, DemoRecipe.SectionNames);
    }

    [Theory]
    [InlineData("dapt:\n  max_steps: 200\n", "recipe.yaml:2:3: unknown key 'dapt.max_steps'", "write it as dapt.training.max_steps")]
    [InlineData("finetune:\n  precision: bf16\n", "recipe.yaml:2:3: unknown key 'finetune.precision'", "write it as finetune.training.precision")]
    [InlineData("forgetting:\n  control: ewc\n", "recipe.yaml:2:3: 'forgetting.control' is no longer a recipe key", "turn the control on by its own keys")]
    public void TheOldLayoutFailsSayingWhatToMove(string yaml, string where, string what)
    {
        var e = Assert.Throws<ConfigException>(() => AdaptationDemoRecipe.From(Recipe.Parse(yaml, "recipe.yaml")));
        Assert.StartsWith(where, e.Message);
        Assert.Contains(what, e.Message);
        Assert.Throws<ConfigException>(() => DemoRecipe.From(Recipe.Parse(yaml.Replace("dapt:", "pretrain:"), "recipe.yaml")));
    }

    [Fact]
    public void KeysTheDemoSetsFromItsCommandLineAndAControllessForgettingSectionAreErrors()
    {
        var seed = Assert.Throws<ConfigException>(() => AdaptationDemoRecipe.From(Recipe.Parse("finetune:\n  training:\n    seed: 3\n", "r.yaml")));
        Assert.Contains("training.seed is set by finetune.seeds; remove it", seed.Message);
        var threads = Assert.Throws<ConfigException>(() => DemoRecipe.From(Recipe.Parse("dapt:\n  training:\n    threads: 3\n", "r.yaml")));
        Assert.Contains("training.threads is set by the demo's --threads option", threads.Message);
        var none = Assert.Throws<ConfigException>(() => DemoRecipe.From(Recipe.Parse("forgetting:\n  rehearsal_domain: 4\n", "r.yaml")));
        Assert.Contains("'forgetting' turns no control on", none.Message);
    }

    [Fact]
    public void TheCliRefusesAnOldDemoRecipeAsBadInput()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = temp.File("old.yaml");
        File.WriteAllText(recipe, "forgetting:\n  control: rehearsal\n");
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "demo", "--config", recipe, "--output", temp.File("out") }, new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains($"{recipe}:2:3: 'forgetting.control' is no longer a recipe key", stderr.ToString());
        Assert.False(Directory.Exists(temp.File("out")));
    }
}
