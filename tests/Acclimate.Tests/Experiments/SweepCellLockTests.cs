using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.Experiments;

namespace Acclimate.Tests.Experiments;

public sealed class SweepCellLockTests
{
    [Fact]
    public async Task ACellHeldByALiveProcessIsRefusedAndAStaleOrRecycledLockIsTakenOver()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = temp.File("base.yaml");
        File.WriteAllText(recipe, "model:\n  task: token_classification\n  encoder: enc\ndata:\n  format: conll\n  train: t.conll\n  dev: d.conll\ntraining:\n  epochs: 1\n");
        var file = temp.File("sweep.yaml");
        File.WriteAllText(file, $"kind: finetune\nrecipe: {recipe}\noutput: {temp.File("sweep")}\nmetric: test.f1\naxes:\n  training.seed: [1, 2]\n");
        var plan = SweepPlan.Create(SweepSpec.Load(file), (_, _) => { });
        var held = plan.Cells[0];
        var ran = new List<string>();
        Task<bool> Run(SweepCell cell, CancellationToken _)
        {
            lock (ran) ran.Add(cell.Seed);
            Assert.True(File.Exists(SweepCellLock.PathOf(cell)), "a running cell holds its lock");
            Directory.CreateDirectory(cell.Folder);
            File.WriteAllText(Path.Combine(cell.Folder, "results.json"), """{"test":{"f1":0.5}}""");
            return Task.FromResult(true);
        }

        // Another process (a stand-in for a cell left running by a killed sweep) holds seed 1.
        using var other = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            WriteLock(held, other.Id, other.StartTime);
            var outcome = await new SweepRunner(plan, Run).RunAsync();
            var (cell, why) = Assert.Single(outcome.Failed);
            Assert.Equal(held, cell);
            Assert.Contains($"being run by process {other.Id}", why);
            Assert.Equal(new[] { "2" }, ran);
            Assert.False(Directory.Exists(held.Folder));   // nothing was written into the held cell
            Assert.False(File.Exists(SweepCellLock.PathOf(plan.Cells[1])));   // released after the run

            // The same process id with another start time is a recycled id: the lock is stale.
            WriteLock(held, other.Id, other.StartTime.AddMinutes(-5));
            Assert.Null(SweepCellLock.LiveHolder(SweepCellLock.PathOf(held)));
        }
        finally
        {
            other.Kill();
            other.WaitForExit();
        }

        // Its process gone, the lock is stale and the next sweep runs the cell.
        WriteLock(held, other.Id, other.StartTime);
        ran.Clear();
        var rerun = await new SweepRunner(plan, Run).RunAsync();
        Assert.Empty(rerun.Failed);
        Assert.Equal(new[] { "1" }, ran);
        Assert.False(File.Exists(SweepCellLock.PathOf(held)));
    }

    private static void WriteLock(SweepCell cell, int pid, DateTime started)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SweepCellLock.PathOf(cell))!);
        File.WriteAllText(SweepCellLock.PathOf(cell), new JsonObject
        {
            ["processes"] = new JsonArray(new JsonObject { ["pid"] = pid, ["started"] = started.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture) }),
        }.ToJsonString());
    }
}
