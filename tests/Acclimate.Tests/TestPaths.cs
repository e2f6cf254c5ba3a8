namespace Acclimate.Tests;

/// <summary>Finds the repository's tests/fixtures folder from the test binary's location.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Acclimate.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Acclimate.sln not found above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => Root.Value;

    public static string Fixture(params string[] parts) =>
        Path.Combine(new[] { RepoRoot, "tests", "fixtures" }.Concat(parts).ToArray());

    /// <summary>A fresh empty folder under the system temp folder, removed by the caller's using.</summary>
    public static TempFolder NewTempFolder() => new();
}

public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "acclimate-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
