using Acclimate.Cli;

namespace Acclimate.Tests.CommandLine;

/// <summary><c>acclimate augment</c>: a normal run, and every kind of bad input ends with exit code 2 and a message saying what is wrong.</summary>
public sealed class AugmentCommandTests
{
    private static readonly string WordNet = TestPaths.Fixture("wordnet", "dict");

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Conll(TempFolder temp)
    {
        var path = temp.File("train.conll");
        File.WriteAllText(path, "The\tO\ndoctor\tO\nin\tO\nNew\tB-LOC\nYork\tI-LOC\ncured\tO\nthe\tO\nfever\tO\n.\tO\n");
        return path;
    }

    [Fact]
    public void EdaOnCoNllWritesTheCopiesAndASummary()
    {
        using var temp = TestPaths.NewTempFolder();
        var (code, stdout, stderr) = Run("augment", "--method", "eda", "--in", Conll(temp), "--out", temp.File("out.conll"), "--n", "3", "--wordnet", WordNet, "--seed", "4");
        Assert.True(code == 0, stderr);
        Assert.Contains("augmented 1 examples into 4 (3 copies:", stdout);
        Assert.Equal(4, Acclimate.Data.Datasets.ConllReader.Read(temp.File("out.conll")).Count());
        var (code2, _, _) = Run("augment", "--method", "eda", "--in", Conll(temp), "--out", temp.File("out2.conll"), "--n", "3", "--wordnet", WordNet, "--seed", "4", "--keep-original", "false");
        Assert.Equal(0, code2);
        Assert.Equal(3, Acclimate.Data.Datasets.ConllReader.Read(temp.File("out2.conll")).Count());
    }

    [Theory]
    [InlineData("empty.txt")]
    [InlineData("empty.conll")]
    [InlineData("empty.jsonl")]
    public void AnEmptyInputFileIsExitTwo(string name)
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File(name), "\n\n");
        var (code, _, stderr) = Run("augment", "--method", "rs", "--in", temp.File(name), "--out", temp.File("out"), "--n", "2");
        Assert.Equal(2, code);
        Assert.Contains(name, stderr);
        Assert.Contains("empty", stderr);
        Assert.False(File.Exists(temp.File("out")));
    }

    [Fact]
    public void AWordNetFolderThatIsNotADictIsExitTwo()
    {
        using var temp = TestPaths.NewTempFolder();
        Directory.CreateDirectory(temp.File("not-wordnet"));
        File.WriteAllText(temp.File("not-wordnet/readme.txt"), "hello");
        var (code, _, stderr) = Run("augment", "--method", "eda", "--in", Conll(temp), "--out", temp.File("out.conll"), "--wordnet", temp.File("not-wordnet"));
        Assert.Equal(2, code);
        Assert.Contains("not a WordNet dict folder", stderr);
        Assert.Contains("index.noun", stderr);
        var (missing, _, stderr2) = Run("augment", "--method", "sr", "--in", Conll(temp), "--out", temp.File("out.conll"), "--wordnet", temp.File("nowhere"));
        Assert.Equal(2, missing);
        Assert.Contains("WordNet folder not found", stderr2);
        Assert.False(File.Exists(temp.File("out.conll")));
    }

    [Fact]
    public void AnUnknownMethodIsExitTwoAndListsTheMethods()
    {
        using var temp = TestPaths.NewTempFolder();
        var (code, _, stderr) = Run("augment", "--method", "backtranslate", "--in", Conll(temp), "--out", temp.File("out.conll"));
        Assert.Equal(2, code);
        Assert.Contains("--method backtranslate: unknown augmentation method", stderr);
        Assert.Contains("eda, sr, ri, rs, rd, contextual or mention", stderr);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public void FewerThanOneCopyIsExitTwo(string n)
    {
        using var temp = TestPaths.NewTempFolder();
        var (code, _, stderr) = Run("augment", "--method", "rs", "--in", Conll(temp), "--out", temp.File("out.conll"), "--n", n);
        Assert.Equal(2, code);
        Assert.Contains($"--n {n}: expected at least 1", stderr);
    }

    [Theory]
    [InlineData("--alpha", "0", "--alpha 0: expected a change rate in (0, 1]")]
    [InlineData("--scheme", "xyz", "--scheme xyz")]
    [InlineData("--synonyms", "thesaurus", "--synonyms thesaurus: expected wordnet or embeddings")]
    [InlineData("--threads", "-1", "--threads -1: expected 0")]
    [InlineData("--format", "xml", "--format xml: expected text, classification or conll")]
    public void OtherBadSettingsAreExitTwo(string option, string value, string expected)
    {
        using var temp = TestPaths.NewTempFolder();
        var (code, _, stderr) = Run("augment", "--method", "rs", "--in", Conll(temp), "--out", temp.File("out.conll"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public void ContextualWithoutAModelAndAMissingInputAreExitTwo()
    {
        using var temp = TestPaths.NewTempFolder();
        var (code, _, stderr) = Run("augment", "--method", "contextual", "--in", Conll(temp), "--out", temp.File("out.conll"));
        Assert.Equal(2, code);
        Assert.Contains("--method contextual needs --model DIR", stderr);
        var (missing, _, stderr2) = Run("augment", "--method", "rs", "--in", temp.File("nope.conll"), "--out", temp.File("out.conll"));
        Assert.Equal(2, missing);
        Assert.Contains("nope.conll: input file not found", stderr2);
    }
}
