using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.Errors;

namespace Acclimate.Experiments;

/// <summary>
/// A running cell's claim on its folder: <c>&lt;cell folder&gt;.lock</c> beside the folder, naming the
/// processes that run the cell (the sweep, and the cell's own process once it started) with their
/// start times. A second sweep over the same cells — or one started while a killed sweep's cell
/// process still runs, since a cell outlives a SIGKILLed parent — refuses that cell instead of
/// writing into a folder another process is writing. A lock whose processes have all exited (or
/// whose process ids now belong to processes started at other times) is stale and taken over.
/// </summary>
public sealed class SweepCellLock : IDisposable
{
    private readonly string _path;
    private readonly List<(int Pid, DateTime Started)> _holders = new();
    private bool _released;

    private SweepCellLock(string path) => _path = path;

    /// <summary>The lock file of <paramref name="cell"/>: its folder's path plus <c>.lock</c> (outside the folder, which a rerun may delete).</summary>
    public static string PathOf(SweepCell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        return Path.TrimEndingDirectorySeparator(cell.Folder) + ".lock";
    }

    /// <summary>Claims <paramref name="cell"/> for this process.</summary>
    /// <exception cref="DataException">A live process holds the cell; the message names it.</exception>
    public static SweepCellLock Acquire(SweepCell cell)
    {
        var path = PathOf(cell);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (File.Exists(path))
        {
            if (LiveHolder(path) is { } holder)
                throw new DataException($"{cell.Folder}: this cell is being run by process {holder.Pid} (started {holder.Started.ToString("u", CultureInfo.InvariantCulture)}; lock {path}): " +
                                        "another sweep over the same cells, or a cell still running after its sweep was killed. Stop that process, then run the sweep again.");
            File.Delete(path);   // stale: every process it names has exited
        }
        var claim = new SweepCellLock(path);
        try
        {
            // CreateNew: of two sweeps racing for the same free cell, one gets it.
            using (new FileStream(path, FileMode.CreateNew, FileAccess.Write)) { }
        }
        catch (IOException)
        {
            throw new DataException($"{cell.Folder}: another process claimed this cell at the same moment (lock {path}).");
        }
        using var self = Process.GetCurrentProcess();
        claim.Add(self);
        return claim;
    }

    /// <summary>Adds a process that runs the cell (the cell's own process), so the lock holds while it lives.</summary>
    public void Add(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        ObjectDisposedException.ThrowIf(_released, this);
        lock (_holders)
        {
            _holders.Add((process.Id, process.StartTime.ToUniversalTime()));
            var json = new JsonObject
            {
                ["processes"] = new JsonArray(_holders.Select(h => (JsonNode)new JsonObject
                {
                    ["pid"] = h.Pid,
                    ["started"] = h.Started.ToString("O", CultureInfo.InvariantCulture),
                }).ToArray()),
            };
            File.WriteAllText(_path, json.ToJsonString() + "\n");
        }
    }

    /// <summary>The first process named in the lock file that is still the process it names, or null.</summary>
    public static (int Pid, DateTime Started)? LiveHolder(string lockFile)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(lockFile));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;   // unreadable or half-written: no live claim can be shown
        }
        foreach (var entry in json?["processes"]?.AsArray() ?? new JsonArray())
        {
            if (entry?["pid"] is not JsonValue pidValue || !pidValue.TryGetValue<int>(out var pid)) continue;
            if (entry["started"] is not JsonValue startedValue || !startedValue.TryGetValue<string>(out var startedText)) continue;
            if (!DateTime.TryParse(startedText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var started)) continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                // A recycled process id belongs to a process started at another time.
                if (!process.HasExited && Math.Abs((process.StartTime.ToUniversalTime() - started.ToUniversalTime()).TotalSeconds) < 2)
                    return (pid, started.ToUniversalTime());
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // no such process (any more)
            }
        }
        return null;
    }

    /// <summary>Releases the claim (deletes the lock file).</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // A lock left behind is stale once this process exits; the next sweep takes it over.
        }
    }
}
