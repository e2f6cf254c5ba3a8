using System.Globalization;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Training;

/// <summary>
/// The <c>checkpoint-&lt;step&gt;</c> folders of a run. A checkpoint is written into
/// <c>checkpoint-&lt;step&gt;.tmp</c> and renamed into place only when complete (<see cref="AtomicFolder"/>),
/// so a crash mid-write never leaves a folder that looks resumable but is not; after each write
/// only the newest <c>keepLast</c> checkpoints are kept.
/// </summary>
internal sealed class CheckpointStore
{
    private const string Prefix = "checkpoint-";

    /// <param name="folder">Where checkpoint folders go (created on first write).</param>
    /// <param name="keepLast">How many to keep (0: all).</param>
    public CheckpointStore(string folder, int keepLast)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (keepLast < 0) throw new ArgumentOutOfRangeException(nameof(keepLast), keepLast, "expected >= 0.");
        Folder = Path.GetFullPath(folder);
        KeepLast = keepLast;
    }

    public string Folder { get; }
    public int KeepLast { get; }

    /// <summary>The folder name of the checkpoint at <paramref name="step"/>.</summary>
    public static string NameFor(long step) => Prefix + step.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes the checkpoint for <paramref name="step"/>: <paramref name="writeInto"/> fills a fresh
    /// temporary folder, which then replaces any existing checkpoint of that step. Returns the final path.
    /// </summary>
    public string Write(long step, Action<string> writeInto)
    {
        ArgumentNullException.ThrowIfNull(writeInto);
        var final = Path.Combine(Folder, NameFor(step));
        AtomicFolder.Write(final, writeInto);
        Prune();
        return final;
    }

    /// <summary>Complete checkpoints, oldest first.</summary>
    public IReadOnlyList<(long Step, string Path)> List() => List(Folder);

    /// <summary>Complete checkpoints under <paramref name="folder"/>, oldest first (none when it does not exist).</summary>
    public static IReadOnlyList<(long Step, string Path)> List(string folder)
    {
        if (!Directory.Exists(folder)) return Array.Empty<(long, string)>();
        var found = new List<(long, string)>();
        foreach (var dir in Directory.EnumerateDirectories(folder))
        {
            var name = Path.GetFileName(dir);
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            if (long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step))
                found.Add((step, dir));
        }
        return found.OrderBy(c => c.Item1).ToList();
    }

    /// <summary>The newest complete checkpoint under <paramref name="folder"/>, or null.</summary>
    public static string? Latest(string folder)
    {
        var all = List(folder);
        return all.Count == 0 ? null : all[^1].Path;
    }

    /// <summary>The step a checkpoint folder was written at (from its name).</summary>
    public static long StepOf(string checkpointFolder)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpointFolder));
        if (name.StartsWith(Prefix, StringComparison.Ordinal) &&
            long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            return step;
        throw new CheckpointException($"{checkpointFolder}: not a checkpoint folder (expected a name like {Prefix}500).");
    }

    private void Prune()
    {
        if (KeepLast == 0) return;
        var all = List();
        for (var i = 0; i < all.Count - KeepLast; i++) Directory.Delete(all[i].Path, recursive: true);
    }
}
