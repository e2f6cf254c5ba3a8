using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Experiments;

/// <summary>What a sweep run did.</summary>
public sealed record SweepOutcome(int Ran, int Skipped, IReadOnlyList<(SweepCell Cell, string Why)> Failed);

/// <summary>
/// Runs a <see cref="SweepPlan"/>'s cells, one at a time or several side by side. A cell is finished
/// when its folder holds <see cref="DoneFile"/> (written after the run succeeded and its metric was
/// read), so a killed sweep resumes where it stopped: finished cells are skipped, an interrupted
/// one is run again by the executor (which may resume it from its own checkpoint). A running cell
/// is claimed by a <see cref="SweepCellLock"/>, so two sweeps never write one cell folder.
/// </summary>
public sealed class SweepRunner
{
    /// <summary>The file a cell's folder gets when the cell finished; a rerun skips such cells.</summary>
    public const string DoneFile = "sweep-cell.json";

    private readonly SweepPlan _plan;
    private readonly Func<SweepCell, SweepCellLock, CancellationToken, Task<bool>> _execute;
    private readonly TextWriter _log;
    private readonly object _logGate = new();

    /// <param name="plan">The cells.</param>
    /// <param name="execute">Runs one cell into its folder; true when the run succeeded.</param>
    /// <param name="log">Progress lines (cell started, finished, failed).</param>
    public SweepRunner(SweepPlan plan, Func<SweepCell, CancellationToken, Task<bool>> execute, TextWriter? log = null)
        : this(plan, execute is null ? null! : (cell, _, cancel) => execute(cell, cancel), log)
    {
    }

    /// <param name="plan">The cells.</param>
    /// <param name="execute">Runs one cell into its folder; true when the run succeeded. It gets the cell's
    /// <see cref="SweepCellLock"/> to add the process it starts, so the claim holds while that process lives.</param>
    /// <param name="log">Progress lines (cell started, finished, failed).</param>
    public SweepRunner(SweepPlan plan, Func<SweepCell, SweepCellLock, CancellationToken, Task<bool>> execute, TextWriter? log = null)
    {
        _plan = plan ?? throw new ArgumentNullException(nameof(plan));
        _execute = execute ?? throw new ArgumentNullException(nameof(execute));
        _log = log ?? TextWriter.Null;
    }

    /// <summary>Whether <paramref name="cell"/> has finished (its <see cref="DoneFile"/> exists).</summary>
    public static bool IsFinished(SweepCell cell) => File.Exists(Path.Combine(cell.Folder, DoneFile));

    /// <summary>Runs every unfinished cell, several at once when asked.</summary>
    /// <param name="parallel">Cells run at the same time; null = the sweep file's <c>parallel</c>.</param>
    /// <param name="cancel">Stops starting new cells.</param>
    public async Task<SweepOutcome> RunAsync(int? parallel = null, CancellationToken cancel = default)
    {
        var width = parallel ?? _plan.Spec.Parallel;
        if (width < 1) throw new ConfigException($"parallel must be >= 1 (got {width}).");
        var pretraining = _plan.PretrainingCells.Where(c => !IsFinished(c)).ToList();
        var todo = _plan.Cells.Where(c => !IsFinished(c)).ToList();
        var skipped = _plan.Cells.Count - todo.Count;
        Log($"sweep {_plan.Spec.Source}: {_plan.Cells.Count} cells ({_plan.Settings.Count} settings), {skipped} already finished, {todo.Count} to run, {width} at a time" +
            (_plan.PretrainingCells.Count == 0 ? "" : $"; first {pretraining.Count} of {_plan.PretrainingCells.Count} pretraining runs"));
        var failed = new List<(SweepCell, string)>();
        using var gate = new SemaphoreSlim(width);
        // The pretraining level first: every fine-tuning cell of a pretraining setting needs its run's model.
        await RunAllAsync(pretraining, gate, failed, cancel).ConfigureAwait(false);
        var ready = new List<SweepCell>();
        foreach (var cell in todo)
        {
            if (cell.Pretraining is { } p && !IsFinished(p))
            {
                failed.Add((cell, $"its pretraining run {p.Folder} did not finish"));
                Log($"[{cell.Setting} | {cell.UnitLabel}] not run: its pretraining run {p.Folder} did not finish");
            }
            else ready.Add(cell);
        }
        await RunAllAsync(ready, gate, failed, cancel).ConfigureAwait(false);
        return new SweepOutcome(todo.Count, skipped, failed);
    }

    private async Task RunAllAsync(IReadOnlyList<SweepCell> todo, SemaphoreSlim gate, List<(SweepCell, string)> failed, CancellationToken cancel)
    {
        var done = 0;
        var tasks = todo.Select(async cell =>
        {
            await gate.WaitAsync(cancel).ConfigureAwait(false);
            try
            {
                cancel.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                var name = $"[{(cell.Kind != _plan.Spec.Kind ? "pretraining " : "")}{cell.Setting} | {cell.UnitLabel}]";
                Log($"{name} running in {cell.Folder}");
                string? why = null;
                try
                {
                    // Claimed for as long as it runs: another sweep over these cells skips it as failed.
                    using var claim = SweepCellLock.Acquire(cell);
                    if (!await _execute(cell, claim, cancel).ConfigureAwait(false)) why = "the run failed (see its log)";
                    else MarkFinished(cell, clock.Elapsed);
                }
                catch (AcclimateException e) { why = e.Message; }
                var n = Interlocked.Increment(ref done);
                if (why is null) Log($"{name} finished in {clock.Elapsed.TotalMinutes:F1} min ({n}/{todo.Count})");
                else
                {
                    lock (failed) failed.Add((cell, why));
                    Log($"{name} FAILED: {why} ({n}/{todo.Count})");
                }
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Reads the cell's metric and records the cell as finished (atomically, last).</summary>
    private void MarkFinished(SweepCell cell, TimeSpan elapsed)
    {
        // A pretraining run of the pretraining level has no leaderboard metric; its own files tell the rest.
        var leaderboardCell = cell.Kind == _plan.Spec.Kind;
        var json = new JsonObject
        {
            ["setting"] = cell.Setting,
            ["seed"] = cell.Seed,
            ["pretraining_run"] = cell.PretrainingRun,
            ["recipe"] = cell.Recipe,
            ["overrides"] = new JsonArray(cell.Overrides.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
            ["metric"] = leaderboardCell ? _plan.Spec.Metric : null,
            ["value"] = leaderboardCell ? ReadMetric(_plan.Spec, cell.Folder) : null,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 1),
        };
        AtomicFile.WriteAllText(Path.Combine(cell.Folder, DoneFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The metric at the spec's dotted path in the cell's metric file.</summary>
    public static double ReadMetric(SweepSpec spec, string folder)
    {
        var path = Path.Combine(folder, spec.MetricFile);
        if (!File.Exists(path)) throw new DataException($"{path}: the run wrote no {spec.MetricFile}, so its metric '{spec.Metric}' cannot be read.");
        JsonNode? node = JsonNode.Parse(File.ReadAllText(path));
        foreach (var part in spec.Metric.Split('.'))
            node = node is JsonObject obj && obj.TryGetPropertyValue(part, out var child) ? child
                : throw new DataException($"{path}: no '{spec.Metric}' (missing '{part}'; keys there: {string.Join(", ", (node as JsonObject)?.Select(kv => kv.Key) ?? Array.Empty<string>())}).");
        return node is JsonValue v && v.TryGetValue<double>(out var d) ? d
            : throw new DataException($"{path}: '{spec.Metric}' is not a number.");
    }

    private void Log(string line)
    {
        lock (_logGate) _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss} {line}"));
    }
}
