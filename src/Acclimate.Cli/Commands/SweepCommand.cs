using System.Runtime.InteropServices;
using System.CommandLine;
using System.Diagnostics;
using Acclimate.Errors;
using Acclimate.Experiments;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Pretraining;
using Acclimate.Reporting;
using Acclimate.Training;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate sweep</c>: runs a grid (or random sample) of recipe settings × seeds, each cell an
/// ordinary finetune/pretrain run in its own folder and its own process, then writes the leaderboard.
/// </summary>
internal static class SweepCommand
{
    public static Command Create(TextWriter output)
    {
        var config = new Option<string>("--config") { Description = "The sweep file (YAML): kind, recipe(s), output, metric, settings, axes, baseline, search.", Required = true };
        var parallel = new Option<int?>("--parallel") { Description = "Cells run side by side (default: the file's 'parallel', else 1)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check the file and every cell's recipe, list the cells, run nothing." };
        var reportOnly = new Option<bool>("--report") { Description = "Only (re)write the leaderboard from the cells finished so far." };
        var baseline = new Option<string?>("--baseline") { Description = "With --report: compare against this setting instead of the file's baseline, into leaderboard-vs-NAME.md/.csv (the main leaderboard is left alone)." };
        var metric = new Option<string?>("--metric") { Description = "With --report: summarize another number of each cell's metric file (a dotted path, e.g. test.macro_f1), into leaderboard-METRIC.md/.csv (the main leaderboard is left alone)." };
        var command = new Command("sweep", "Run recipes × settings × seeds (grid or random search), skip finished cells, and write leaderboard.md/.csv/.png with mean ± std and paired tests.")
        {
            config, parallel, dryRun, reportOnly, baseline, metric,
        };
        command.SetAction(result =>
        {
            var spec = SweepSpec.Load(result.GetValue(config)!);
            var otherBaseline = result.GetValue(baseline);
            if (otherBaseline is not null)
            {
                if (!result.GetValue(reportOnly)) throw new ConfigException("--baseline only goes with --report (the sweep file's baseline is the one a run reports against).");
                spec = spec with { Baseline = otherBaseline };
            }
            var otherMetric = result.GetValue(metric);
            if (otherMetric is not null)
            {
                if (!result.GetValue(reportOnly)) throw new ConfigException("--metric only goes with --report (a run records the sweep file's metric).");
                if (otherMetric.Split('.').Any(string.IsNullOrWhiteSpace)) throw new ConfigException($"--metric '{otherMetric}': expected a dotted path into each cell's {spec.MetricFile}, e.g. test.macro_f1.");
                spec = spec with { Metric = otherMetric };
            }
            var plan = SweepPlan.Create(spec, Validator(spec.Kind), Validator(SweepKind.Pretrain));
            if (result.GetValue(dryRun))
            {
                foreach (var cell in plan.PretrainingCells)
                    output.WriteLine($"{(SweepRunner.IsFinished(cell) ? "done" : "todo")}  {cell.Folder}  pretrain --config {cell.Recipe} {string.Join(" ", cell.Overrides.Select(o => "--set " + o))}");
                foreach (var cell in plan.Cells)
                    output.WriteLine($"{(SweepRunner.IsFinished(cell) ? "done" : "todo")}  {cell.Folder}  {string.Join(" ", cell.Overrides.Select(o => "--set " + o))}");
                output.WriteLine($"{plan.Cells.Count} cells, {plan.Settings.Count} settings{(plan.PretrainingCells.Count > 0 ? $", {plan.PretrainingCells.Count} pretraining runs" : "")}; nothing run (--dry-run).");
                return 0;
            }
            var failed = 0;
            if (!result.GetValue(reportOnly))
            {
                var runner = new SweepRunner(plan, (cell, claim, cancel) => RunCellAsync(cell.Kind, cell, claim, cancel), output);
                // SIGINT / SIGTERM stop the running cells' processes too (each cell is its own process,
                // which would otherwise go on writing its folder after the sweep is gone).
                using var interrupt = new CancellationTokenSource();
                using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
                using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
                void Stop(PosixSignalContext context)
                {
                    context.Cancel = true;
                    interrupt.Cancel();
                }
                SweepOutcome outcome;
                try
                {
                    outcome = runner.RunAsync(result.GetValue(parallel), interrupt.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
                {
                    output.WriteLine($"interrupted: running cells stopped; {plan.Cells.Count(SweepRunner.IsFinished)} of {plan.Cells.Count} cells finished. Run the same command again to resume.");
                    return 130;
                }
                failed = outcome.Failed.Count;
                foreach (var (cell, why) in outcome.Failed) output.WriteLine($"failed: {cell.Folder}: {why}");
            }
            var rows = Leaderboard.Compute(plan);
            if (otherBaseline is not null || otherMetric is not null)
            {
                var name = "leaderboard" + (otherMetric is null ? "" : "-" + SweepPlan.Slug(otherMetric)) + (otherBaseline is null ? "" : "-vs-" + SweepPlan.Slug(otherBaseline));
                Leaderboard.Write(plan, rows, name);
                output.Write(Leaderboard.ToMarkdown(plan, rows));
                output.WriteLine($"wrote {Path.Combine(spec.Output, name)}.md and .csv");
                return 0;
            }
            Leaderboard.Write(plan, rows);
            if (rows.Count > 0) PlotSeeds(plan, rows);
            output.Write(Leaderboard.ToMarkdown(plan, rows));
            return failed == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>Binds one cell's recipe exactly as the run will, so unknown keys and bad values fail before anything runs.</summary>
    private static Action<string, IReadOnlyList<string>> Validator(SweepKind kind) => (recipe, overrides) =>
    {
        var bound = Recipe.Load(recipe, overrides);
        if (kind == SweepKind.Finetune) FineTuneRecipe.From(bound);
        else PretrainingRecipe.From(bound);
    };

    /// <summary>One cell in its own process (a clean libtorch state and thread pool per run); its output goes to the cell's run.log.</summary>
    private static async Task<bool> RunCellAsync(SweepKind kind, SweepCell cell, SweepCellLock claim, CancellationToken cancel)
    {
        var interrupted = Directory.Exists(cell.Folder);
        var arguments = new List<string>();
        var processPath = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet") arguments.Add(Path.Combine(AppContext.BaseDirectory, "Acclimate.Cli.dll"));
        arguments.Add(kind == SweepKind.Finetune ? "finetune" : "pretrain");
        arguments.AddRange(new[] { "--config", cell.Recipe });
        foreach (var o in cell.Overrides) arguments.AddRange(new[] { "--set", o });
        if (kind == SweepKind.Finetune)
        {
            arguments.AddRange(new[] { "--run-dir", cell.Folder });
            // An interrupted cell continues from its last checkpoint when it got that far.
            if (interrupted && Directory.Exists(Path.Combine(cell.Folder, "checkpoints"))) arguments.Add("--resume");
            else if (interrupted) Directory.Delete(cell.Folder, recursive: true);
        }
        else
        {
            // An interrupted pretraining run continues from its newest checkpoint (checkpoints are
            // written atomically, so one that exists is whole); without one it starts over.
            var checkpoint = interrupted ? NewestCheckpoint(cell.Folder) : null;
            if (interrupted && checkpoint is null) Directory.Delete(cell.Folder, recursive: true);
            arguments.AddRange(new[] { "--set", "run.folder=" + cell.Folder });
            if (checkpoint is not null) arguments.AddRange(new[] { "--resume", checkpoint });
        }
        Directory.CreateDirectory(cell.Folder);
        var start = new ProcessStartInfo(processPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        claim.Add(process);
        // Flushed line by line, so run.log shows a long cell's progress while it runs.
        await using var log = new StreamWriter(Path.Combine(cell.Folder, "run.log"), append: true) { AutoFlush = true };
        var pump = Task.WhenAll(Pump(process.StandardOutput, log), Pump(process.StandardError, log));
        try
        {
            await process.WaitForExitAsync(cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await pump.ConfigureAwait(false);
        return process.ExitCode == 0;
    }

    private static string? NewestCheckpoint(string runFolder)
    {
        var folder = Path.Combine(runFolder, "checkpoints");
        if (!Directory.Exists(folder)) return null;
        return Directory.GetDirectories(folder, "checkpoint-*")
            .Select(d => (Path: d, Step: long.TryParse(Path.GetFileName(d)["checkpoint-".Length..], out var n) ? n : -1))
            .Where(c => c.Step >= 0).OrderByDescending(c => c.Step).Select(c => c.Path).FirstOrDefault();
    }

    private static async Task Pump(StreamReader from, StreamWriter to)
    {
        string? line;
        while ((line = await from.ReadLineAsync().ConfigureAwait(false)) is not null)
            lock (to) to.WriteLine(line);
    }

    /// <summary>leaderboard.png: each setting's per-seed values as points with their mean, settings in leaderboard order.</summary>
    private static void PlotSeeds(SweepPlan plan, IReadOnlyList<LeaderboardRow> rows) =>
        Plots.Strip(Path.Combine(plan.Spec.Output, "leaderboard.png"), $"{plan.Spec.Metric} per seed (bar: mean)", plan.Spec.Metric,
            rows.Select(r => (r.Setting, (IReadOnlyList<double>)r.Values.Select(v => v.Value).ToList())).ToList());
}
