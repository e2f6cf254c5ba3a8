namespace Acclimate.Tests.Checkpoints;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class SafetensorsTempFolder : IDisposable
{
    public SafetensorsTempFolder()
    {
        Folder = Path.Combine(Path.GetTempPath(), "acclimate-st-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string File(string name) => Path.Combine(Folder, name);

    /// <summary>Writes <paramref name="bytes"/> to a new file and returns its path.</summary>
    public string WriteFile(string name, byte[] bytes)
    {
        var path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { /* a leftover temp folder must not fail a test */ }
    }
}
