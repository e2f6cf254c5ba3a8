using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.Cli;
using Acclimate.Experiments;
using Acclimate.Tests.FineTuning;
using Acclimate.Tests.Training;

namespace Acclimate.Tests.Experiments;

[Collection(TorchGlobalStateCollection.Name)]
public sealed class SweepInterruptTests : IClassFixture<FineTuneCliFixtureHolder>
{
    private readonly FineTuneCliFixture _f;

    public SweepInterruptTests(FineTuneCliFixtureHolder holder) => _f = holder.Fixture;

    [Fact]
    public async Task SigtermStopsTheRunningCellsProcessAndReleasesItsCell()
    {
        // A cell that would run for a very long time: the sweep must stop it, not leave it running.
        var recipe = _f.Recipe("sweep-long");
        var file = _f.Temp.File("sweep-interrupt.yaml");
        var output = _f.Temp.File("sweep-interrupt");
        File.WriteAllText(file, $"kind: finetune\nrecipe: {recipe}\noutput: {output}\nmetric: test.f1\nsettings:\n  long: {{ training.epochs: 100000 }}\naxes:\n  training.seed: [1]\n");
        var cell = Path.Combine(output, "long", "seed-1");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Acclimate.Cli.dll"), "sweep", "--config", file, "--parallel", "1" }) start.ArgumentList.Add(a);
        using var sweep = Process.Start(start)!;
        var stdout = sweep.StandardOutput.ReadToEndAsync();
        var stderr = sweep.StandardError.ReadToEndAsync();
        int? cellPid = null;
        try
        {
            // Wait until the cell's own process is running and its run.log shows it (written as it goes).
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(120) && !sweep.HasExited)
            {
                cellPid = CellProcess(cell + ".lock", sweep.Id);
                var log = Path.Combine(cell, "run.log");
                if (cellPid is not null && File.Exists(log) && new FileInfo(log).Length > 0) break;
                await Task.Delay(200);
            }
            Assert.True(cellPid is not null, $"no cell process appeared; sweep output: {(sweep.HasExited ? await stdout + await stderr : "(running)")}");
            Assert.True(new FileInfo(Path.Combine(cell, "run.log")).Length > 0, "run.log stays empty while the cell runs");

            Process.Start("kill", new[] { "-TERM", sweep.Id.ToString(CultureInfo.InvariantCulture) })!.WaitForExit();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await sweep.WaitForExitAsync(wait.Token);
        }
        finally
        {
            if (!sweep.HasExited) sweep.Kill(entireProcessTree: true);
        }
        Assert.Equal(130, sweep.ExitCode);
        Assert.Contains("interrupted", await stdout);
        Assert.True(Exited(cellPid!.Value), $"the cell's process {cellPid} still runs after its sweep was stopped");
        Assert.False(File.Exists(cell + ".lock"));
        Assert.False(File.Exists(Path.Combine(cell, SweepRunner.DoneFile)));
        var listing = new StringWriter();
        Assert.Equal(0, CliApp.Run(["sweep", "--config", file, "--dry-run"], listing, new StringWriter()));
        Assert.Contains("todo  " + cell, listing.ToString());
    }

    /// <summary>The process the lock names besides the sweep itself (the cell's), or null.</summary>
    private static int? CellProcess(string lockFile, int sweepPid)
    {
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(lockFile));
            return json?["processes"]?.AsArray().Select(p => p!["pid"]!.GetValue<int>()).Where(p => p != sweepPid).Cast<int?>().FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static bool Exited(int pid)
    {
        for (var i = 0; i < 50; i++)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                if (p.HasExited) return true;
            }
            catch (ArgumentException)
            {
                return true;
            }
            Thread.Sleep(100);
        }
        return false;
    }
}
