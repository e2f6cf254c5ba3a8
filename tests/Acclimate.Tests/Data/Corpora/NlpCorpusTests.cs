using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Corpora;

public sealed class NlpCorpusTests
{
    private static string Package => TestPaths.Fixture("data", "nlp-corpus", "package");

    [Fact]
    public void ReadsBuildFilesInNumericOrderWithLineNumbers()
    {
        var docs = NlpCorpus.Read(Package).ToList();
        Assert.Equal(18, docs.Count);
        Assert.Equal(new[] { "doc-0:0", "doc-0:1" }, docs.Take(2).Select(d => d.Id));
        Assert.Equal("doc-2:0", docs[6].Id);
        Assert.Equal("doc-10:0", docs[12].Id);
        Assert.Equal("Creakiness and atmosphere this film has, but so unfortunately does the print I just viewed.", docs[0].Text);
        Assert.Equal("You and my sister, sittin\u2019 in a tree.", docs[6].Text);
        // The package writes one string per line after the opening bracket.
        Assert.Equal(Enumerable.Range(2, 6), docs.Take(6).Select(d => d.LineNumber));
    }

    [Fact]
    public void NonStringElementIsNamedByLine()
    {
        using var temp = TestPaths.NewTempFolder();
        Directory.CreateDirectory(temp.File("builds"));
        File.WriteAllText(temp.File("builds/doc-0.json"), "[\n  \"fine\",\n  42\n]");
        var e = Assert.Throws<DataException>(() => NlpCorpus.Read(temp.Path).ToList());
        Assert.Contains("doc-0.json:3:", e.Message);
        Assert.Contains("expected a string", e.Message);

        File.WriteAllText(temp.File("builds/doc-0.json"), "[\n  \"fine\",\n  \"cut");
        Assert.Contains("malformed JSON", Assert.Throws<DataException>(() => NlpCorpus.Read(temp.Path).ToList()).Message);
    }

    [Fact]
    public void MissingOrEmptyPackageIsAnError()
    {
        using var temp = TestPaths.NewTempFolder();
        Assert.Contains("fetch nlp-corpus", Assert.Throws<DataException>(() => NlpCorpus.Read(temp.Path).ToList()).Message);
        Directory.CreateDirectory(temp.File("builds"));
        File.WriteAllText(temp.File("builds/doc-0.json"), "[\"\", \"  \"]");
        Assert.Contains("empty corpus", Assert.Throws<DataException>(() => NlpCorpus.Read(temp.Path).ToList()).Message);
    }
}
