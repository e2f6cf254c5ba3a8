using Acclimate.Cli;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.Experiments;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Training;

namespace Acclimate.Tests.Experiments;

public sealed class SweepTests
{
    [Fact]
    public void MeanStdAndThePairedTTestMatchHandComputedValues()
    {
        var (mean, std) = PairedStatistics.MeanStd(new[] { 0.83, 0.84, 0.85 });
        Assert.Equal(0.84, mean, 12);
        Assert.Equal(0.01, std, 12);
        // Differences 0.03, 0.02, 0.04: mean 0.03, sd 0.01, t = 0.03 / (0.01/√3) = 5.196; for 2
        // degrees of freedom the two-sided p has the closed form 1 − t/√(t² + 2) = 0.035098.
        var t = PairedStatistics.PairedT(new[] { 0.83, 0.84, 0.85 }, new[] { 0.80, 0.82, 0.81 })!.Value;
        Assert.Equal(0.03, t.MeanDifference, 12);
        Assert.Equal(3 * Math.Sqrt(3), t.T, 9);
        Assert.Equal(2, t.DegreesOfFreedom);
        Assert.Equal(1 - t.T / Math.Sqrt(t.T * t.T + 2), t.P, 9);
        Assert.Equal(0.035098, t.P, 5);
        // One degree of freedom is the Cauchy distribution: p = 1 − (2/π)·atan|t|.
        Assert.Equal(0.5, PairedStatistics.StudentTwoSidedP(1.0, 1), 12);
        // A table value: t = 2.228 is the two-sided 5 % point for 10 degrees of freedom.
        Assert.Equal(0.05, PairedStatistics.StudentTwoSidedP(2.228, 10), 3);
        Assert.Null(PairedStatistics.PairedT(new[] { 1.0 }, new[] { 0.5 }));
    }

    [Fact]
    public void ThePairedBootstrapSeparatesABetterSystemAndNotAnIdenticalOne()
    {
        // 50 sentences with one gold entity each: A finds all, B finds 30 of them.
        var a = Enumerable.Range(0, 50).Select(_ => new double[] { 1, 1, 1 }).ToList();
        var b = Enumerable.Range(0, 50).Select(i => i < 30 ? new double[] { 1, 1, 1 } : new double[] { 0, 0, 1 }).ToList();
        static double F1(double[] c) => 2 * c[0] / (c[1] + c[2]);
        var better = PairedStatistics.PairedBootstrap(new[] { ((IReadOnlyList<double[]>)a, (IReadOnlyList<double[]>)b) }, F1, 500);
        Assert.Equal(1.0 - 2 * 30.0 / 80, better.Observed, 9);
        Assert.True(better.P < 0.01, $"p = {better.P}");
        var same = PairedStatistics.PairedBootstrap(new[] { ((IReadOnlyList<double[]>)a, (IReadOnlyList<double[]>)a) }, F1, 200);
        Assert.Equal(1.0, same.P);
    }

    [Fact]
    public void AGridExpandsSettingsTimesAxesTimesSeedsIntoOwnFolders()
    {
        using var temp = TestPaths.NewTempFolder();
        var spec = SweepSpec.Load(WriteSweep(temp, """
            settings:
              pretrained: { model.encoder: enc-a }
              random-init: { model.encoder: enc-b, training.learning_rate: 5.0e-4 }
            axes:
              model.head: [linear, bilstm]
              training.seed: [1, 2, 3]
            baseline: random-init
            """));
        var plan = SweepPlan.Create(spec, (_, _) => { });
        Assert.Equal(2 * 2 * 3, plan.Cells.Count);
        Assert.Equal(new[] { "pretrained, model.head=linear", "pretrained, model.head=bilstm", "random-init, model.head=linear", "random-init, model.head=bilstm" }, plan.Settings);
        var cell = plan.Cells.Single(c => c.Setting == "random-init, model.head=bilstm" && c.Seed == "2");
        Assert.Equal(new[] { "model.encoder=enc-b", "training.learning_rate=5.0e-4", "model.head=bilstm", "training.seed=2" }, cell.Overrides);
        Assert.Equal(plan.Cells.Count, plan.Cells.Select(c => c.Folder).Distinct().Count());
        Assert.StartsWith(temp.File("sweep"), cell.Folder);
        // The baseline is compared like with like: the same head, the other setting.
        Assert.Equal("random-init, model.head=bilstm", plan.BaselineOf["pretrained, model.head=bilstm"]);
        Assert.False(plan.BaselineOf.ContainsKey("random-init, model.head=linear"));

        var random = SweepPlan.Create(SweepSpec.Load(WriteSweep(temp, """
            axes:
              training.learning_rate: [1e-5, 2e-5, 3e-5, 5e-5]
              model.head: [linear, bilstm, cnn]
              training.seed: [1, 2]
            search: random
            trials: 5
            search_seed: 7
            """)), (_, _) => { });
        Assert.Equal(5, random.Settings.Count);
        Assert.Equal(10, random.Cells.Count);
        Assert.All(random.Settings, s => Assert.Equal(2, random.Cells.Count(c => c.Setting == s)));
    }

    [Fact]
    public void ABadSweepFileIsAClearErrorBeforeAnythingRuns()
    {
        using var temp = TestPaths.NewTempFolder();
        var unknownSweepKey = Assert.Throws<ConfigException>(() => SweepSpec.Load(WriteSweep(temp, "axis:\n  training.seed: [1]\n")));
        Assert.Contains("unknown sweep key 'axis'", unknownSweepKey.Message);
        Assert.Contains("sweep.yaml:", unknownSweepKey.Message);

        var emptyAxis = Assert.Throws<ConfigException>(() => SweepSpec.Load(WriteSweep(temp, "axes:\n  training.seed: []\n")));
        Assert.Contains("axis 'training.seed' must be a non-empty list", emptyAxis.Message);

        // An unknown recipe key is found by binding every cell's recipe as the run would.
        var spec = SweepSpec.Load(WriteSweep(temp, "axes:\n  training.learning_rat: [1e-5]\n  training.seed: [1, 2]\n"));
        var ran = 0;
        var typo = Assert.Throws<ConfigException>(() => SweepPlan.Create(spec, BindFinetune));
        Assert.Contains("learning_rat", typo.Message);
        Assert.Equal(0, ran);

        var baseline = Assert.Throws<ConfigException>(() => SweepPlan.Create(SweepSpec.Load(WriteSweep(temp, "axes:\n  training.seed: [1]\nbaseline: nope\n")), (_, _) => { }));
        Assert.Contains("baseline 'nope' is not one of the settings", baseline.Message);
    }

    [Fact]
    public async Task AKilledSweepResumesSkippingFinishedCellsAndTheLeaderboardIsHandComputable()
    {
        using var temp = TestPaths.NewTempFolder();
        var spec = SweepSpec.Load(WriteSweep(temp, """
            settings:
              base: { training.learning_rate: 1e-5 }
              better: { training.learning_rate: 2e-5 }
            axes:
              training.seed: [1, 2, 3]
            baseline: base
            """));
        var plan = SweepPlan.Create(spec, (_, _) => { });
        var scores = new Dictionary<(string, string), double>
        {
            [("base", "1")] = 0.80, [("base", "2")] = 0.82, [("base", "3")] = 0.81,
            [("better", "1")] = 0.83, [("better", "2")] = 0.84, [("better", "3")] = 0.85,
        };
        var executed = new List<string>();
        Task<bool> Fake(SweepCell cell, CancellationToken cancel)
        {
            cancel.ThrowIfCancellationRequested();
            lock (executed) executed.Add(cell.Folder);
            Directory.CreateDirectory(cell.Folder);
            File.WriteAllText(Path.Combine(cell.Folder, "results.json"), new JsonObject { ["test"] = new JsonObject { ["f1"] = scores[(cell.Setting, cell.Seed)] } }.ToJsonString());
            return Task.FromResult(true);
        }

        // The first sweep is killed after two cells.
        using var kill = new CancellationTokenSource();
        var first = new SweepRunner(plan, async (cell, cancel) =>
        {
            var ok = await Fake(cell, cancel);
            if (executed.Count == 2) kill.Cancel();
            return ok;
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.RunAsync(1, kill.Token));
        Assert.Equal(2, plan.Cells.Count(SweepRunner.IsFinished));

        executed.Clear();
        var second = await new SweepRunner(plan, Fake).RunAsync(2);
        Assert.Equal(2, second.Skipped);
        Assert.Equal(4, second.Ran);
        Assert.Empty(second.Failed);
        Assert.Equal(4, executed.Count);
        Assert.DoesNotContain(plan.Cells[0].Folder, executed);

        var rows = Leaderboard.Compute(plan);
        Assert.Equal(new[] { "better", "base" }, rows.Select(r => r.Setting));
        Assert.Equal(0.84, rows[0].Mean, 12);
        Assert.Equal(0.01, rows[0].Std, 12);
        Assert.Equal(0.03, rows[0].VsBaseline!.MeanDifference, 12);
        Assert.Equal(0.035098, rows[0].VsBaseline!.P!.Value, 5);
        Assert.Null(rows[0].VsBaseline!.BootstrapP);   // no predictions files in this fixture
        Assert.Null(rows[1].VsBaseline);
        Assert.Equal("base", plan.BaselineOf["better"]);
        Leaderboard.Write(plan, rows);
        var markdown = File.ReadAllText(Path.Combine(spec.Output, "leaderboard.md"));
        Assert.Contains("| better | — | 3 | 0.8400 ± 0.0100 | 0.8300 | 0.8500 | 1: 0.8300, 2: 0.8400, 3: 0.8500 | +0.0300 vs base (+0.0052 to +0.0548) | 0.035 | 0.035 |", markdown);
        Assert.Contains("better", File.ReadAllText(Path.Combine(spec.Output, "leaderboard.csv")));
    }

    [Fact]
    public async Task ReportAgainstAnotherBaselineWritesItsOwnLeaderboardAndLeavesTheMainOneAlone()
    {
        using var temp = TestPaths.NewTempFolder();
        var file = WriteSweep(temp, """
            settings:
              base: { training.learning_rate: 1e-5 }
              dapt: { training.learning_rate: 2e-5 }
              control: { training.learning_rate: 3e-5 }
            axes:
              training.seed: [1, 2, 3]
            baseline: base
            """);
        var plan = SweepPlan.Create(SweepSpec.Load(file), (_, _) => { });
        var scores = new Dictionary<string, double[]> { ["base"] = [0.80, 0.82, 0.81], ["dapt"] = [0.83, 0.84, 0.85], ["control"] = [0.81, 0.81, 0.83] };
        await new SweepRunner(plan, (cell, _) =>
        {
            Directory.CreateDirectory(cell.Folder);
            File.WriteAllText(Path.Combine(cell.Folder, "results.json"), new JsonObject { ["test"] = new JsonObject { ["f1"] = scores[cell.Setting][int.Parse(cell.Seed) - 1] } }.ToJsonString());
            return Task.FromResult(true);
        }).RunAsync(1);
        Assert.Equal(0, CliApp.Run(["sweep", "--config", file, "--report"], new StringWriter(), new StringWriter()));
        var main = File.ReadAllText(temp.File("sweep/leaderboard.md"));

        var stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(["sweep", "--config", file, "--report", "--baseline", "control"], stdout, new StringWriter()));
        var other = File.ReadAllText(temp.File("sweep/leaderboard-vs-control.md"));
        // dapt − control per seed: 0.02, 0.03, 0.02 → mean 0.0233, sd 0.00577, t = 7, p (df 2) = 0.0198.
        Assert.Contains("| dapt | — | 3 | 0.8400 ± 0.0100 | 0.8300 | 0.8500 | 1: 0.8300, 2: 0.8400, 3: 0.8500 | +0.0233 vs control (+0.0090 to +0.0377) | 0.020 |", other);
        Assert.Contains("| control |", other);
        Assert.Contains("baseline", other.Split('\n').First(l => l.StartsWith("| control |", StringComparison.Ordinal)));
        Assert.Equal(main, File.ReadAllText(temp.File("sweep/leaderboard.md")));
        Assert.Contains("+0.0300 vs base", main);
        Assert.True(File.Exists(temp.File("sweep/leaderboard-vs-control.csv")));

        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["sweep", "--config", file, "--baseline", "control"], new StringWriter(), stderr));
        Assert.Contains("--baseline only goes with --report", stderr.ToString());
        stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["sweep", "--config", file, "--report", "--baseline", "nope"], new StringWriter(), stderr));
        Assert.Contains("baseline 'nope' is not one of the settings", stderr.ToString());
    }

    [Fact]
    public async Task ReportOnAnotherMetricReadsEachCellsResultsAndBootstrapsClassifierPredictionsOverExamples()
    {
        using var temp = TestPaths.NewTempFolder();
        var file = WriteSweep(temp, """
            settings:
              base: { training.learning_rate: 1e-5 }
              better: { training.learning_rate: 2e-5 }
              same: { training.learning_rate: 3e-5 }
            axes:
              training.seed: [1, 2]
            baseline: base
            """, metric: "test.accuracy");
        var plan = SweepPlan.Create(SweepSpec.Load(file), (_, _) => { });
        // 40 test examples, 30 of label A and 10 of B. base (and same) predicts A for every one;
        // better is right everywhere with seed 1 and calls the first two B examples A with seed 2.
        var gold = Enumerable.Range(0, 40).Select(i => i < 30 ? "A" : "B").ToArray();
        string[] Predicted(string setting, string seed) => setting == "better"
            ? gold.Select((g, i) => seed == "2" && i is 30 or 31 ? "A" : g).ToArray()
            : gold.Select(_ => "A").ToArray();
        await new SweepRunner(plan, (cell, _) =>
        {
            Directory.CreateDirectory(cell.Folder);
            var predicted = Predicted(cell.Setting, cell.Seed);
            var report = Acclimate.FineTuning.Classification.ClassificationPredictor.Score(gold.Select((g, i) => new Acclimate.Data.Datasets.ClassificationExample($"text {i}", null, g, "test.jsonl", i + 1)).ToList(), predicted);
            File.WriteAllText(Path.Combine(cell.Folder, "results.json"), new JsonObject
            {
                ["test"] = new JsonObject { ["accuracy"] = report.Accuracy, ["macro_f1"] = report.MacroF1 },
            }.ToJsonString());
            File.WriteAllLines(Path.Combine(cell.Folder, "predictions-test.jsonl"), gold.Select((g, i) => new JsonObject { ["gold"] = g, ["pred"] = predicted[i] }.ToJsonString()));
            return Task.FromResult(true);
        }).RunAsync(1);

        Assert.Equal(0, CliApp.Run(["sweep", "--config", file, "--report"], new StringWriter(), new StringWriter()));
        var mainFile = File.ReadAllText(temp.File("sweep/leaderboard.md"));
        // Accuracy, the sweep's metric: base 0.75; better 1.0 and 0.95.
        var main = Leaderboard.Compute(plan).ToDictionary(r => r.Setting);
        Assert.Equal(0.975, main["better"].Mean, 12);
        Assert.Equal(0.225, main["better"].VsBaseline!.MeanDifference, 12);
        Assert.True(main["better"].VsBaseline!.BootstrapP < 0.01, $"p = {main["better"].VsBaseline!.BootstrapP}");
        Assert.Equal(1.0, main["same"].VsBaseline!.BootstrapP);

        // Macro-F1 by hand: base predicts only A: F1(A) = 2·30/(40 + 30) = 6/7, F1(B) = 0 → 3/7.
        // better, seed 2: A 30 of 32 predicted → 60/62; B 8 of 8 predicted, 10 gold → 16/18.
        var stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(["sweep", "--config", file, "--report", "--metric", "test.macro_f1"], stdout, new StringWriter()));
        var macro = File.ReadAllText(temp.File("sweep/leaderboard-test.macro_f1.md"));
        var betterMacro = (1.0 + (60.0 / 62 + 16.0 / 18) / 2) / 2;
        Assert.Contains(FormattableString.Invariant($"| better | — | 2 | {betterMacro:F4} ± "), macro);
        Assert.Contains(FormattableString.Invariant($"| {betterMacro - 3.0 / 7:+0.0000} vs base ("), macro);
        Assert.Contains("# Leaderboard: test.macro_f1", macro);
        var betterLine = macro.Split('\n').First(l => l.StartsWith("| better |", StringComparison.Ordinal));
        var bootstrapP = betterLine.Split('|')[^4].Trim();
        Assert.True(bootstrapP == "< 0.001" || double.Parse(bootstrapP, System.Globalization.CultureInfo.InvariantCulture) < 0.01, betterLine);
        Assert.Contains("| 1.000 | 1.000 | no detectable difference", macro.Split('\n').First(l => l.StartsWith("| same |", StringComparison.Ordinal)));
        Assert.Contains("# Leaderboard: test.accuracy", mainFile);
        Assert.Equal(mainFile, File.ReadAllText(temp.File("sweep/leaderboard.md")));   // the main leaderboard is left alone

        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["sweep", "--config", file, "--metric", "test.macro_f1"], new StringWriter(), stderr));
        Assert.Contains("--metric only goes with --report", stderr.ToString());
        stderr = new StringWriter();
        Assert.NotEqual(0, CliApp.Run(["sweep", "--config", file, "--report", "--metric", "test.nope"], new StringWriter(), stderr));
        Assert.Contains("no 'test.nope'", stderr.ToString());
    }

    [Fact]
    public async Task AFailedCellIsReportedAndNotMarkedFinished()
    {
        using var temp = TestPaths.NewTempFolder();
        var plan = SweepPlan.Create(SweepSpec.Load(WriteSweep(temp, "axes:\n  training.seed: [1, 2]\n")), (_, _) => { });
        var outcome = await new SweepRunner(plan, (cell, _) => Task.FromResult(cell.Seed == "1" && WriteResult(cell))).RunAsync();
        Assert.Single(outcome.Failed);
        Assert.Equal("2", outcome.Failed[0].Cell.Seed);
        Assert.True(SweepRunner.IsFinished(plan.Cells[0]));
        Assert.False(SweepRunner.IsFinished(plan.Cells[1]));
    }

    private static bool WriteResult(SweepCell cell)
    {
        Directory.CreateDirectory(cell.Folder);
        File.WriteAllText(Path.Combine(cell.Folder, "results.json"), """{"test":{"f1":0.5}}""");
        return true;
    }

    private static void BindFinetune(string recipe, IReadOnlyList<string> overrides) => FineTuneRecipe.From(Recipe.Load(recipe, overrides));

    private static string WriteSweep(TempFolder temp, string body, string metric = "test.f1")
    {
        var recipe = temp.File("base.yaml");
        File.WriteAllText(recipe, """
            model:
              task: token_classification
              encoder: enc
            data:
              format: conll
              train: train.conll
              dev: dev.conll
            training:
              epochs: 1
            """);
        var path = temp.File("sweep.yaml");
        File.WriteAllText(path, $"kind: finetune\nrecipe: {recipe}\noutput: {temp.File("sweep")}\nmetric: {metric}\n{body}");
        return path;
    }
}
