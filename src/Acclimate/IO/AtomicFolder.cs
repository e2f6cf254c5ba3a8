namespace Acclimate.IO;

/// <summary>
/// Replaces a whole folder at once: the content is written into a hidden sibling
/// (<c>.&lt;name&gt;.&lt;random&gt;.tmp</c>), which is renamed into place only when complete. Readers see
/// the old folder or the complete new one; a write that fails deletes its temporary folder and
/// leaves the old one as it was. Two writers of the same folder never share a temporary folder.
/// </summary>
/// <remarks>
/// Replacing an existing folder takes two renames (old aside, new in); if the second fails the old
/// folder is moved back. A crash between the two leaves both under their hidden temporary names.
/// </remarks>
internal static class AtomicFolder
{
    /// <summary>Fills a fresh temporary folder with <paramref name="writeInto"/>, then renames it to <paramref name="folder"/>.</summary>
    public static void Write(string folder, Action<string> writeInto)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(writeInto);
        var final = Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder));
        var parent = Path.GetDirectoryName(final) ?? throw new ArgumentException($"'{folder}' names a root.", nameof(folder));
        Directory.CreateDirectory(parent);
        var temp = Sibling(final, "tmp");
        Directory.CreateDirectory(temp);
        try
        {
            writeInto(temp);
            Replace(temp, final);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static string Sibling(string final, string suffix) =>
        Path.Combine(Path.GetDirectoryName(final)!, $".{Path.GetFileName(final)}.{Guid.NewGuid():N}.{suffix}");

    private static void Replace(string temp, string final)
    {
        if (!Directory.Exists(final))
        {
            Directory.Move(temp, final);
            return;
        }
        var old = Sibling(final, "old");
        Directory.Move(final, old);
        try
        {
            Directory.Move(temp, final);
        }
        catch
        {
            Directory.Move(old, final);
            throw;
        }
        TryDelete(old);
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { /* the original failure matters more than a leftover temp folder */ }
        catch (UnauthorizedAccessException) { /* same */ }
    }
}
