using Acclimate.Experiments;
using Acclimate.FineTuning.Recipes;
using Acclimate.Pretraining;
using Acclimate.Training;

namespace Acclimate.Tests.Experiments;

/// <summary>The sweep files the repository ships plan as they would run: every cell's recipe binds with its overrides.</summary>
public sealed class RepositorySweepFilesTests
{
    public static TheoryData<string> SweepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "recipes", "sweeps"), "*.yaml").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(SweepFiles))]
    public void EveryShippedSweepFileBindsEveryCellsRecipe(string name)
    {
        var spec = SweepSpec.Load(Path.Combine(TestPaths.RepoRoot, "recipes", "sweeps", name));
        using var temp = TestPaths.NewTempFolder();
        // Recipe paths in the files are relative to the repository root, where the sweeps are run; the
        // data files their run scripts derive into .cache/ stand in as empty files (binding checks they exist).
        string Rooted(string value)
        {
            if (value.StartsWith("recipes/", StringComparison.Ordinal)) return Path.Combine(TestPaths.RepoRoot, value);
            if (!value.StartsWith(".cache/", StringComparison.Ordinal)) return value;
            var standIn = temp.File(value);
            Directory.CreateDirectory(Path.GetDirectoryName(standIn)!);
            File.WriteAllText(standIn, "");
            return standIn;
        }
        spec = spec with
        {
            Recipes = spec.Recipes.Select(Rooted).ToList(),
            Settings = spec.Settings.Select(s => (s.Name, (IReadOnlyList<(string Key, string Value)>)s.Overrides.Select(o => (o.Key, Rooted(o.Value))).ToList())).ToList(),
            Output = Path.Combine(Path.GetTempPath(), "acclimate-sweep-plan-" + Guid.NewGuid().ToString("N")),
            PretrainingOutput = null,
        };
        var plan = SweepPlan.Create(spec,
            (recipe, overrides) => { if (spec.Kind == SweepKind.Finetune) FineTuneRecipe.From(Recipe.Load(recipe, overrides)); else PretrainingRecipe.From(Recipe.Load(recipe, overrides)); },
            (recipe, overrides) => PretrainingRecipe.From(Recipe.Load(recipe, overrides)));
        Assert.NotEmpty(plan.Cells);
        Assert.All(plan.PretrainingCells, c => Assert.Equal(SweepKind.Pretrain, c.Kind));
    }
}
