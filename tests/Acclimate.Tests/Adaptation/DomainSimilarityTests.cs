using Acclimate.Adaptation;
using Acclimate.Tokenization;

namespace Acclimate.Tests.Adaptation;

public sealed class DomainSimilarityTests
{
    private static DomainCorpus Corpus(string name, params string[] documents) => new(name, documents);

    [Fact]
    public void OverlapIsOneForTheSameVocabularyZeroForDisjointAndIgnoresStopWords()
    {
        var a = Corpus("a", "The gene encodes a protein kinase.", "Protein kinase inhibitors bind the gene product.");
        var same = Corpus("same", "protein KINASE gene; gene encodes inhibitors bind product");
        var other = Corpus("other", "The team won the match and the fans sang.");
        var overlap = DomainSimilarity.VocabularyOverlap(new[] { a, same, other }, k: 100);
        Assert.Equal(1.0, overlap[0, 0]);
        Assert.Equal(1.0, overlap[0, 1], 12);
        // Only stop words ("the", "and") are shared with the sports text, and they do not count.
        Assert.Equal(0.0, overlap[0, 2]);
        Assert.Equal(overlap[1, 2], overlap[2, 1]);
        Assert.DoesNotContain("the", DomainSimilarity.TopWords(a, 100));
        Assert.Equal(new[] { "gene", "kinase", "protein" }, DomainSimilarity.TopWords(a, 3));
    }

    [Fact]
    public void TokensPerWordAndUnknownRateComeFromTheModelsVocabulary()
    {
        var tokenizer = TokenizerLoader.FromFolder(TestPaths.Fixture("tokenizers", "bert-base-uncased"));
        var fit = DomainSimilarity.Fit(tokenizer, Corpus("x", "the cat sat", "immunohistochemistry"));
        Assert.Equal(4, fit.Words);
        Assert.True(fit.TokensPerWord > 1.0, $"{fit.TokensPerWord}");
        Assert.Equal(0.0, fit.UnknownRate);
        // A script the vocabulary lacks shows up as unknown tokens.
        Assert.True(DomainSimilarity.Fit(tokenizer, Corpus("y", "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺ")).UnknownRate > 0.5);
    }

    [Fact]
    public void MmdIsZeroForIdenticalSamplesAndGrowsWithAMeanShift()
    {
        var random = new Random(3);
        float[] Point(double shift) => Enumerable.Range(0, 8).Select(_ => (float)(random.NextDouble() + shift)).ToArray();
        var a = Enumerable.Range(0, 40).Select(_ => Point(0)).ToList();
        Assert.Equal(0.0, EmbeddingDistance.Mmd2(a, a, sigma: 1.0), 12);
        var previous = 0.0;
        foreach (var shift in new[] { 0.1, 0.5, 1.0 })
        {
            var b = Enumerable.Range(0, 40).Select(_ => Point(shift)).ToList();
            var mmd = EmbeddingDistance.Mmd2(a, b, sigma: 1.0);
            Assert.True(mmd > previous, $"MMD² {mmd} at shift {shift} is not above {previous}");
            previous = mmd;
        }
        Assert.Equal(1.0, EmbeddingDistance.MeanCosine(a, a), 9);
    }
}

public sealed class DomainsCommandTests
{
    [Fact]
    public void CompareWritesTheTableTheCsvAndTheHeatmapAndAnEmptyCorpusIsExitTwo()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("bio.txt"), "The gene encodes a kinase.\nKinase inhibitors block the gene.\n");
        File.WriteAllText(temp.File("news.txt"), "The team won the match.\nFans cheered the team.\n");
        var stdout = new StringWriter();
        Assert.Equal(0, Acclimate.Cli.CliApp.Run(["domains", "compare", "bio=" + temp.File("bio.txt"), temp.File("news.txt"), "--output", temp.File("out"), "--top-k", "50"], stdout, new StringWriter()));
        Assert.Contains("| bio | 100.0 | 0.0 |", File.ReadAllText(Path.Combine(temp.File("out"), "domains.md")));
        Assert.True(new FileInfo(Path.Combine(temp.File("out"), "vocabulary-overlap.png")).Length > 1000);
        Assert.StartsWith("corpus,bio,news", File.ReadAllText(Path.Combine(temp.File("out"), "vocabulary-overlap.csv")));

        File.WriteAllText(temp.File("empty.txt"), "\n\n");
        var stderr = new StringWriter();
        Assert.Equal(2, Acclimate.Cli.CliApp.Run(["domains", "compare", temp.File("empty.txt"), "--output", temp.File("out2")], new StringWriter(), stderr));
        Assert.Contains("empty.txt", stderr.ToString());
    }
}
