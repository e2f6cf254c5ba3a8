using System.Diagnostics;

namespace Acclimate.Tests.Packaging;

/// <summary>
/// The packages as users get them: build/package-smoke.sh packs Acclimate and Acclimate.Cli, installs
/// the tool from the local package folder and runs it, and builds and runs a console project that
/// references only the library package (its buildTransitive target fixes TorchSharp in that
/// project's output). About a minute; it writes ~1 GB into a temporary folder, removed afterwards.
/// </summary>
public sealed class PackagesTests
{
    [Fact]
    public async Task ThePackagesBuildTheToolInstallsAndRunsAndALibraryConsumerRuns()
    {
        using var temp = TestPaths.NewTempFolder();
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "build", "package-smoke.sh"));
        start.ArgumentList.Add(temp.File("smoke"));
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var log = stdout + await stderr;
        Assert.True(process.ExitCode == 0, "package-smoke.sh failed:\n" + log);
        var version = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "Directory.Build.props")).Split("<Version>")[1].Split("</Version>")[0];
        var lines = stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith(version + "+", StringComparison.Ordinal));          // acclimate --version
        Assert.Contains(lines, l => l.StartsWith("wrote ", StringComparison.Ordinal) && l.Contains("1 layers, hidden 16"));   // the tool ran libtorch
        Assert.Contains("consumer: 12 tokens -> hidden state [1, 12, 16]", lines);
        Assert.Equal("package smoke: ok", lines.Last(l => l.Length > 0));
    }
}
