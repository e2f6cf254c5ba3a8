using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.Experiments;

namespace Acclimate.Tests.Experiments;

/// <summary>The pretraining level of a sweep, verdicts in the leaderboard, convergence and compute, grouped bootstrap.</summary>
public sealed class SweepDesignTests
{
    [Fact]
    public async Task APretrainingLevelRunsEachArmsPretrainingFirstAndTreatsTheRunAsTheUnit()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("dapt.yaml"), "run:\n  folder: x\n");
        var file = WriteSweep(temp, $"""
            settings:
              base: {"{"} model.encoder: enc {"}"}
              dapt: {"{"} pretrain.recipe: {temp.File("dapt.yaml")}, pretrain.training.learning_rate: 1e-4, training.learning_rate: 3e-5 {"}"}
            axes:
              training.seed: [1, 2, 3, 4, 5]
            pretraining_runs: 2
            baseline: base
            """);
        var plan = SweepPlan.Create(SweepSpec.Load(file), (_, _) => { });
        Assert.Equal(2, plan.PretrainingCells.Count);
        Assert.Equal(5 + 2 * 5, plan.Cells.Count);
        var run2 = plan.PretrainingCells.Single(c => c.PretrainingRun == "2");
        Assert.Equal(SweepKind.Pretrain, run2.Kind);
        Assert.Equal(new[] { "training.learning_rate=1e-4", "training.seed=2" }, run2.Overrides);
        var cell = plan.Cells.Single(c => c.Setting == "dapt" && c.PretrainingRun == "2" && c.Seed == "4");
        Assert.Same(run2, cell.Pretraining);
        Assert.Contains($"model.encoder={Path.Combine(run2.Folder, "model")}", cell.Overrides);
        Assert.Contains("training.learning_rate=3e-5", cell.Overrides);
        Assert.Equal(2, plan.PretrainingRunsOf("dapt"));
        Assert.Equal(0, plan.PretrainingRunsOf("base"));

        // Pretraining run 1 happens to be lucky: every seed fine-tuned on it gains 5 points; run 2
        // gains nothing. Seed noise is small, so a flat test over the 10 cells would call it a gain.
        var noise = new[] { 0.001, -0.002, 0.0015, -0.001, 0.0005 };
        var order = new List<string>();
        await new SweepRunner(plan, (c, _) =>
        {
            lock (order) order.Add(c.Kind == SweepKind.Pretrain ? "pretrain" : "finetune");
            Directory.CreateDirectory(c.Folder);
            if (c.Kind == SweepKind.Pretrain)
            {
                Directory.CreateDirectory(Path.Combine(c.Folder, "model"));
                File.WriteAllText(Path.Combine(c.Folder, "forgetting.json"), """{"steps": 400}""");
                File.WriteAllText(Path.Combine(c.Folder, "recipe.yaml"), "training:\n  batch_size: 16\ndata:\n  block_size: 128\n");
                return Task.FromResult(true);
            }
            Assert.True(c.Pretraining is null || SweepRunner.IsFinished(c.Pretraining));
            var seed = int.Parse(c.Seed) - 1;
            var value = 0.80 + noise[seed] + (c.PretrainingRun == "1" ? 0.05 : 0);
            WriteResults(c.Folder, value, bestIsLast: c.PretrainingRun == "1", updates: c.Setting == "dapt" ? 300 : 320);
            return Task.FromResult(true);
        }).RunAsync(2);
        Assert.Equal(new[] { "pretrain", "pretrain" }, order.Take(2));
        Assert.All(plan.PretrainingCells, c => Assert.True(SweepRunner.IsFinished(c)));

        var flat = PairedStatistics.PairedT(Enumerable.Range(0, 10).Select(i => 0.80 + noise[i % 5] + (i < 5 ? 0.05 : 0)).ToList(),
            Enumerable.Range(0, 10).Select(i => 0.80 + noise[i % 5]).ToList())!.Value;
        Assert.True(flat.P < 0.05, $"the flat test should be fooled (p = {flat.P})");

        var dapt = Leaderboard.Compute(plan).Single(r => r.Setting == "dapt");
        Assert.Equal(2, dapt.PretrainingRuns);
        var vs = dapt.VsBaseline!;
        Assert.Equal(10, vs.Seeds);
        Assert.Equal(2, vs.Evidence.Units);
        Assert.Equal("pretraining runs", vs.Evidence.UnitName);
        Assert.Equal(0.025, vs.MeanDifference, 12);
        Assert.Equal(0.5, vs.P!.Value, 9);   // per-run means +0.05 and 0: t = 1 with one degree of freedom
        Assert.Equal(VerdictKind.NoDetectableDifference, vs.Verdict!.Kind);
        Assert.Equal(5, dapt.Cost!.LastEpochBest);
        Assert.Equal(10, dapt.Cost.WithEpochs);
        Assert.Equal(400, dapt.Cost.PretrainingUpdates);
        Assert.Equal(400 * 16 * 128, dapt.Cost.PretrainingTokens);
        // Fine-tuning updates 300 vs 320 are within 10 %; the pretraining is the method, not a confound.
        Assert.False(vs.ComputeDiffers);

        Leaderboard.Write(plan, Leaderboard.Compute(plan));
        var markdown = File.ReadAllText(temp.File("sweep/leaderboard.md"));
        Assert.Contains("| dapt | 2 | 10 |", markdown);
        Assert.Contains("no detectable difference", markdown);
        Assert.Contains("over 2 pretraining runs", markdown);
        Assert.Contains("| dapt | 5 of 10 | 300 | 0.0 | 2 | 400 | 819,200 |", markdown);
        Assert.Contains("| base | 0 of 5 | 320 |", markdown);
        var csv = File.ReadAllLines(temp.File("sweep/leaderboard.csv"));
        Assert.StartsWith("setting,pretraining_runs,n,mean,std", csv[0]);
        Assert.Contains(",NoDetectableDifference,", csv.Single(l => l.StartsWith("\"dapt\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ARealEffectOverIndependentPretrainingRunsIsAGainAndAOneRunArmIsNotTestable()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("p.yaml"), "run:\n  folder: x\n");
        var file = WriteSweep(temp, $"""
            settings:
              base: {"{"} model.encoder: enc {"}"}
              dapt: {"{"} pretrain.recipe: {temp.File("p.yaml")} {"}"}
            axes:
              training.seed: [1, 2, 3, 4, 5]
            pretraining_runs: [11, 12, 13, 14]
            baseline: base
            """);
        var plan = SweepPlan.Create(SweepSpec.Load(file), (_, _) => { });
        var runShift = new Dictionary<string, double> { ["11"] = 0.021, ["12"] = 0.019, ["13"] = 0.020, ["14"] = 0.022 };
        await new SweepRunner(plan, (c, _) =>
        {
            Directory.CreateDirectory(c.Folder);
            if (c.Kind == SweepKind.Pretrain) return Task.FromResult(true);
            var seed = int.Parse(c.Seed);
            WriteResults(c.Folder, 0.80 + 0.001 * (seed % 3) + (c.PretrainingRun is { } r ? runShift[r] : 0), bestIsLast: false, updates: 300);
            return Task.FromResult(true);
        }).RunAsync(2);
        var vs = Leaderboard.Compute(plan).Single(r => r.Setting == "dapt").VsBaseline!;
        Assert.Equal(4, vs.Evidence.Units);
        Assert.Equal(VerdictKind.Gain, vs.Verdict!.Kind);
        Assert.True(vs.Evidence.Interval!.Value.Low > 0.015 && vs.Evidence.Interval.Value.High < 0.025);

        // The same arm with a single pretraining run: a seed-level test would be confident; the design is not testable.
        var single = WriteSweep(temp, $"""
            settings:
              base: {"{"} model.encoder: enc {"}"}
              dapt: {"{"} pretrain.recipe: {temp.File("p.yaml")} {"}"}
            axes:
              training.seed: [1, 2, 3, 4, 5]
            pretraining_runs: [11]
            baseline: base
            """);
        var onePlan = SweepPlan.Create(SweepSpec.Load(single), (_, _) => { });
        var one = Leaderboard.Compute(onePlan).Single(r => r.Setting == "dapt").VsBaseline!;
        Assert.Equal(VerdictKind.NotTestable, one.Verdict!.Kind);
        Assert.Contains("at least 2 are needed", one.Verdict.Words);
    }

    [Fact]
    public async Task CorrectedPValuesIntervalsAndVerdictsAppearInTheLeaderboard()
    {
        using var temp = TestPaths.NewTempFolder();
        var file = WriteSweep(temp, """
            settings:
              base: { training.learning_rate: 1e-5 }
              a: { training.learning_rate: 2e-5 }
              b: { training.learning_rate: 3e-5 }
              c: { training.learning_rate: 4e-5 }
            axes:
              training.seed: [1, 2, 3]
            baseline: base
            effect_of_interest: 0.01
            """);
        var plan = SweepPlan.Create(SweepSpec.Load(file), (_, _) => { });
        var scores = new Dictionary<string, double[]>
        {
            ["base"] = [0.80, 0.82, 0.81], ["a"] = [0.83, 0.84, 0.85], ["b"] = [0.81, 0.81, 0.83], ["c"] = [0.80, 0.83, 0.80],
        };
        await new SweepRunner(plan, (c, _) =>
        {
            WriteResults(c.Folder, scores[c.Setting][int.Parse(c.Seed) - 1], bestIsLast: true, updates: c.Setting == "c" ? 450 : 195);
            return Task.FromResult(true);
        }).RunAsync(1);
        var rows = Leaderboard.Compute(plan).ToDictionary(r => r.Setting);
        // a − base: 0.03, 0.02, 0.04 → raw t p 0.035098; b − base: 0.01, −0.01, 0.02 → p = 0.4226; c − base: 0, 0.01, −0.01 → p = 1.
        var raw = new[] { rows["a"].VsBaseline!.P!.Value, rows["b"].VsBaseline!.P!.Value, rows["c"].VsBaseline!.P!.Value };
        Assert.Equal(0.035098, raw[0], 5);
        var holm = MultipleTesting.Adjust(raw.Select(p => (double?)p).ToList(), Correction.Holm);
        Assert.Equal(holm[0], rows["a"].VsBaseline!.Evidence.AdjustedP);
        Assert.Equal(3 * raw[0], rows["a"].VsBaseline!.Evidence.AdjustedP!.Value, 9);
        Assert.Equal(VerdictKind.NoDetectableDifference, rows["a"].VsBaseline!.Verdict!.Kind);   // raw 0.035, Holm 0.105
        var ci = rows["a"].VsBaseline!.Evidence.Interval!.Value;
        Assert.Equal(0.03 - 4.302653 * 0.01 / Math.Sqrt(3), ci.Low, 5);
        Assert.Equal(3, rows["a"].Cost!.LastEpochBest);
        Assert.False(rows["a"].VsBaseline!.ComputeDiffers);
        Assert.True(rows["c"].VsBaseline!.ComputeDiffers);   // 450 fine-tuning updates against 195

        Assert.Equal(0, Acclimate.Cli.CliApp.Run(["sweep", "--config", file, "--report"], new StringWriter(), new StringWriter()));
        var markdown = File.ReadAllText(temp.File("sweep/leaderboard.md"));
        Assert.Contains("| a | — | 3 | 0.8400 ± 0.0100 | 0.8300 | 0.8500 | 1: 0.8300, 2: 0.8400, 3: 0.8500 | +0.0300 vs base (+0.0052 to +0.0548) | 0.035 | 0.105 |", markdown);
        Assert.Contains("corrected over the 3 comparisons of this leaderboard (Holm)", markdown);
        Assert.Contains("- **a** vs base: no detectable difference: +3.00 points (95 % CI +0.52 to +5.48 points), within noise (Holm p 0.105 over 3 seeds)", markdown);
        Assert.Contains("| a | 3 of 3 | 195 |", markdown);
        Assert.Contains("no detectable difference (±", markdown.Split('\n').First(l => l.StartsWith("| c |", StringComparison.Ordinal)));
        Assert.Contains("; compute differs |", markdown.Split('\n').First(l => l.StartsWith("| c |", StringComparison.Ordinal)));

        // Benjamini–Hochberg on request.
        File.AppendAllText(file, "\ncorrection: benjamini_hochberg\n");
        var bh = Leaderboard.Compute(SweepPlan.Create(SweepSpec.Load(file), (_, _) => { })).ToDictionary(r => r.Setting);
        Assert.Equal(MultipleTesting.Adjust(raw.Select(p => (double?)p).ToList(), Correction.BenjaminiHochberg)[0], bh["a"].VsBaseline!.Evidence.AdjustedP);
    }

    [Fact]
    public async Task BootstrapGroupsComeFromTheTestFileRowsThePredictionsName()
    {
        using var temp = TestPaths.NewTempFolder();
        // 30 test rows from 10 sentences, 3 relation pairs each (entity markers differ).
        var test = temp.File("test.jsonl");
        File.WriteAllLines(test, Enumerable.Range(0, 30).Select(i =>
            new JsonObject { ["text"] = $"sentence {i / 3} with << marker{i % 3} >> here", ["label"] = i % 2 == 0 ? "A" : "B" }.ToJsonString()));
        var groups = TestItems.Groups(WritePredictions(temp.File("p.jsonl"), test, Enumerable.Range(0, 30).Select(i => i % 2 == 0 ? "A" : "B").ToArray()),
            new BootstrapGroup("text", @"<< marker\d >>"));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i / 3), groups);
        var byText = TestItems.Groups(temp.File("p.jsonl"), new BootstrapGroup("text", null));
        Assert.Equal(30, byText.Distinct().Count());

        var missing = Assert.Throws<DataException>(() => TestItems.Groups(temp.File("p.jsonl"), new BootstrapGroup("sentence", null)));
        Assert.Contains("no field 'sentence'", missing.Message);
        Assert.Contains("test.jsonl:1", missing.Message);

        // Through a sweep file: the leaderboard's bootstrap resamples the 10 sentences.
        var file = WriteSweep(temp, """
            settings:
              base: { training.learning_rate: 1e-5 }
              better: { training.learning_rate: 2e-5 }
            axes:
              training.seed: [1, 2]
            baseline: base
            bootstrap_group: { field: text, remove: '<< marker\d >>' }
            """, metric: "test.accuracy");
        var plan = SweepPlan.Create(SweepSpec.Load(file), (_, _) => { });
        await new SweepRunner(plan, (c, _) =>
        {
            Directory.CreateDirectory(c.Folder);
            var predicted = Enumerable.Range(0, 30).Select(i => c.Setting == "better" || i % 4 == 0 ? (i % 2 == 0 ? "A" : "B") : "A").ToArray();
            WritePredictions(Path.Combine(c.Folder, TestItems.PredictionsFile), test, predicted);
            var accuracy = predicted.Select((p, i) => p == (i % 2 == 0 ? "A" : "B") ? 1.0 : 0).Average();
            File.WriteAllText(Path.Combine(c.Folder, "results.json"), new JsonObject { ["test"] = new JsonObject { ["accuracy"] = accuracy } }.ToJsonString());
            return Task.FromResult(true);
        }).RunAsync(1);
        var vs = Leaderboard.Compute(plan).Single(r => r.Setting == "better").VsBaseline!;
        Assert.NotNull(vs.BootstrapP);
        Assert.NotNull(vs.Evidence.BootstrapInterval);
        Assert.Contains("groups of items with equal `text`", Leaderboard.ToMarkdown(plan, Leaderboard.Compute(plan)));

        var bad = WriteSweep(temp, "axes:\n  training.seed: [1]\nbootstrap_group: { field: text, remove: '(' }\n");
        Assert.Contains("not a valid regular expression", Assert.Throws<ConfigException>(() => SweepSpec.Load(bad)).Message);
    }

    [Fact]
    public async Task SweepsNamingOnePretrainingOutputShareItsRunsAndRefuseARunMadeOtherwise()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("p.yaml"), "run:\n  folder: x\n");
        var shared = temp.File("pretraining-runs");
        string Sweep(string output, string lr) => WriteSweep(temp, $"""
            settings:
              base: {"{"} model.encoder: enc {"}"}
              dapt: {"{"} pretrain.recipe: {temp.File("p.yaml")}, pretrain.training.learning_rate: {lr} {"}"}
            axes:
              training.seed: [1, 2]
            pretraining_runs: 2
            pretraining_output: {shared}
            baseline: base
            """, output: output);
        var pretrained = new List<string>();
        Task<bool> Execute(SweepCell c, CancellationToken _)
        {
            Directory.CreateDirectory(c.Folder);
            if (c.Kind == SweepKind.Pretrain) lock (pretrained) pretrained.Add(c.Folder);
            else WriteResults(c.Folder, 0.8, bestIsLast: false, updates: 10);
            return Task.FromResult(true);
        }
        var first = SweepPlan.Create(SweepSpec.Load(Sweep("task-a", "1e-4")), (_, _) => { });
        Assert.All(first.PretrainingCells, c => Assert.StartsWith(shared, c.Folder));
        await new SweepRunner(first, Execute).RunAsync(2);
        Assert.Equal(2, pretrained.Count);

        // A second task's sweep with the same pretraining reuses both runs.
        pretrained.Clear();
        var second = SweepPlan.Create(SweepSpec.Load(Sweep("task-b", "1e-4")), (_, _) => { });
        var outcome = await new SweepRunner(second, Execute).RunAsync(2);
        Assert.Empty(pretrained);
        Assert.Empty(outcome.Failed);
        Assert.Contains(Path.Combine(shared, "dapt", "run-1", "model"), second.Cells.First(c => c.PretrainingRun == "1").Overrides.Single(o => o.StartsWith("model.encoder=", StringComparison.Ordinal)));

        // One that would pretrain differently under the same name is refused before anything runs.
        var other = Assert.Throws<ConfigException>(() => SweepPlan.Create(SweepSpec.Load(Sweep("task-c", "5e-5")), (_, _) => { }));
        Assert.Contains("already holds a run made from", other.Message);
        Assert.Contains("training.learning_rate=1e-4", other.Message);
    }

    [Fact]
    public void APretrainingLevelIsCheckedBeforeAnythingRuns()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("p.yaml"), "run:\n  folder: x\n");
        var noRuns = WriteSweep(temp, $"settings:\n  dapt: {{ pretrain.recipe: {temp.File("p.yaml")} }}\naxes:\n  training.seed: [1]\n");
        Assert.Contains("needs pretraining_runs", Assert.Throws<ConfigException>(() => SweepSpec.Load(noRuns)).Message);
        var noRecipe = WriteSweep(temp, "settings:\n  dapt: { pretrain.training.seed: 3 }\naxes:\n  training.seed: [1]\npretraining_runs: 2\n");
        Assert.Contains("no pretrain.recipe", Assert.Throws<ConfigException>(() => SweepSpec.Load(noRecipe)).Message);
        var both = WriteSweep(temp, $"settings:\n  dapt: {{ pretrain.recipe: {temp.File("p.yaml")}, model.encoder: e }}\naxes:\n  training.seed: [1]\npretraining_runs: 2\n");
        Assert.Contains("is the pretraining run's model", Assert.Throws<ConfigException>(() => SweepSpec.Load(both)).Message);
        var unused = WriteSweep(temp, "axes:\n  training.seed: [1]\npretraining_runs: 2\n");
        Assert.Contains("no setting has a pretrain.recipe", Assert.Throws<ConfigException>(() => SweepSpec.Load(unused)).Message);
        var alpha = WriteSweep(temp, "axes:\n  training.seed: [1]\nalpha: 1.5\n");
        Assert.Contains("alpha must be a number between 0 and 1", Assert.Throws<ConfigException>(() => SweepSpec.Load(alpha)).Message);
        var missing = WriteSweep(temp, $"settings:\n  dapt: {{ pretrain.recipe: {temp.File("nope.yaml")} }}\naxes:\n  training.seed: [1]\npretraining_runs: 1\n");
        Assert.Contains("pretraining recipe", Assert.Throws<ConfigException>(() => SweepPlan.Create(SweepSpec.Load(missing), (_, _) => { })).Message);
        // A bad pretraining key fails in the pretraining recipe's binder, naming the setting and run.
        var typo = WriteSweep(temp, $"settings:\n  dapt: {{ pretrain.recipe: {temp.File("p.yaml")}, pretrain.training.learning_rat: 1 }}\naxes:\n  training.seed: [1]\npretraining_runs: 1\n");
        var error = Assert.Throws<ConfigException>(() => SweepPlan.Create(SweepSpec.Load(typo), (_, _) => { },
            (_, overrides) => { if (overrides.Any(o => o.StartsWith("training.learning_rat=", StringComparison.Ordinal))) throw new ConfigException("unknown key training.learning_rat"); }));
        Assert.Contains("setting 'dapt', pretraining run 1: unknown key training.learning_rat", error.Message);
    }

    private static void WriteResults(string folder, double testF1, bool bestIsLast, long updates)
    {
        Directory.CreateDirectory(folder);
        var epochs = new JsonArray();
        for (var e = 1; e <= 3; e++)
            epochs.Add(new JsonObject { ["epoch"] = e, ["step"] = updates * e / 3, ["is_best"] = bestIsLast || e == 1, ["dev"] = new JsonObject { ["f1"] = 0.5 } });
        File.WriteAllText(Path.Combine(folder, "results.json"), new JsonObject { ["epochs"] = epochs, ["test"] = new JsonObject { ["f1"] = testF1 } }.ToJsonString());
    }

    private static string WritePredictions(string path, string testFile, IReadOnlyList<string> predicted)
    {
        File.WriteAllLines(path, predicted.Select((p, i) => new JsonObject
        {
            ["source"] = testFile, ["line"] = i + 1, ["gold"] = i % 2 == 0 ? "A" : "B", ["pred"] = p,
        }.ToJsonString()));
        return path;
    }

    private static string WriteSweep(TempFolder temp, string body, string metric = "test.f1", string output = "sweep")
    {
        var recipe = temp.File("base.yaml");
        File.WriteAllText(recipe, "model:\n  task: token_classification\n  encoder: enc\ndata:\n  format: conll\n  train: train.conll\n  dev: dev.conll\ntraining:\n  epochs: 1\n");
        var path = temp.File($"sweep-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"kind: finetune\nrecipe: {recipe}\noutput: {temp.File(output)}\nmetric: {metric}\n{body}");
        return path;
    }
}
