namespace Acclimate.Training;

/// <summary>
/// Replaces a whole folder at once: the content is written into <c>&lt;folder&gt;.tmp</c>, which is
/// renamed into place only when complete. Readers see the old folder or the complete new one; a
/// crash mid-write leaves only a <c>.tmp</c> folder, which the next write clears.
/// </summary>
public static class AtomicFolder
{
    /// <summary>Fills a fresh temporary folder with <paramref name="writeInto"/>, then renames it to <paramref name="folder"/>.</summary>
    public static void Write(string folder, Action<string> writeInto)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(writeInto);
        var final = Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder));
        var parent = Path.GetDirectoryName(final) ?? throw new ArgumentException($"'{folder}' names a root.", nameof(folder));
        Directory.CreateDirectory(parent);
        var temp = final + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        try
        {
            writeInto(temp);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        if (Directory.Exists(final))
        {
            // Two renames and a delete: at no moment is there neither an old nor a new complete folder.
            var stale = final + ".old";
            if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
            Directory.Move(final, stale);
            Directory.Move(temp, final);
            Directory.Delete(stale, recursive: true);
        }
        else
        {
            Directory.Move(temp, final);
        }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { /* the original failure matters more than a leftover temp folder */ }
        catch (UnauthorizedAccessException) { /* same */ }
    }
}
