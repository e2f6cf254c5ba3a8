using Acclimate.Errors;
using Acclimate.Reporting;
using Acclimate.Training;

namespace Acclimate.Tests.Training;

public sealed class RunFolderTests
{
    [Fact]
    public void NewRunsGetATimestampedFolderAndNeverCollide()
    {
        using var root = TestPaths.NewTempFolder();
        var when = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero).ToLocalTime();
        var a = RunFolder.Create(root.Path, "dapt", when);
        var b = RunFolder.Create(root.Path, "dapt", when);
        Assert.Equal(Path.Combine(root.Path, "dapt-" + when.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)), a.Path);
        Assert.Equal(a.Path + "-2", b.Path);
        Assert.True(Directory.Exists(a.Path) && Directory.Exists(b.Path));
        Assert.Throws<ConfigException>(() => RunFolder.Create(root.Path, "a/b"));
    }

    [Fact]
    public void HoldsTheRecipeAndTheReport()
    {
        using var root = TestPaths.NewTempFolder();
        var run = RunFolder.At(root.File("my-run"));
        var recipe = Recipe.Parse("training:\n  seed: 5\n", "r.yaml");
        recipe.Section<TrainingOptions>("training");
        run.SaveRecipe(recipe);
        Assert.Equal(5, Recipe.Load(run.RecipeFile).Section<TrainingOptions>("training").Seed);

        run.WriteReport(new MarkdownReport().Heading("Run", 1).Image("loss", run.Relative(run.Plot("loss.png"))));
        Assert.Equal("# Run\n\n![loss](plots/loss.png)\n", File.ReadAllText(run.ReportFile));
        Assert.Null(run.LatestCheckpoint());
    }

    [Fact]
    public void CheckpointFoldersAreReplacedWholeAndTempFoldersIgnored()
    {
        using var root = TestPaths.NewTempFolder();
        var store = new CheckpointStore(root.Path, keepLast: 0);
        store.Write(5, dir => File.WriteAllText(Path.Combine(dir, "a.txt"), "first"));
        store.Write(5, dir => File.WriteAllText(Path.Combine(dir, "b.txt"), "second"));
        Assert.Equal(new[] { "b.txt" }, Directory.GetFiles(Path.Combine(root.Path, "checkpoint-5")).Select(Path.GetFileName));
        Assert.Throws<InvalidOperationException>(() => store.Write(6, _ => throw new InvalidOperationException("disk full")));
        Directory.CreateDirectory(Path.Combine(root.Path, "checkpoint-7.tmp"));
        Assert.Equal(new long[] { 5 }, store.List().Select(c => c.Step));
        Assert.Equal(Path.Combine(root.Path, "checkpoint-5"), CheckpointStore.Latest(root.Path));
        Assert.Equal(5, CheckpointStore.StepOf(Path.Combine(root.Path, "checkpoint-5") + "/"));
    }
}
