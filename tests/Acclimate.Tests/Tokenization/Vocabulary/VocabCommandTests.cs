using Acclimate.Tests.Adaptation.Vocabulary;
using Acclimate.Adaptation.Vocabulary;
using Acclimate.Checkpoints;
using Acclimate.Cli;
using Acclimate.Runtime;
using Acclimate.Tokenization;

namespace Acclimate.Tests.Tokenization.Vocabulary;

/// <summary>The vocab verbs: train writes a loadable folder, extend writes a loadable grown model, measure prints tokens per word.</summary>
public sealed class VocabCommandTests
{
    public VocabCommandTests() => TorchRuntime.EnsureInitialized();

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CliApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void TrainWritesALoadableVocabularyAndReportsHeldOutTokensPerWord()
    {
        using var dir = new TempFolder();
        var lines = Enumerable.Range(0, 30).SelectMany(i => WordPieceTrainerTests.SampleText.Select(s => $"{s} #{i}")).ToList();
        File.WriteAllLines(dir.File("corpus.txt"), lines);
        var output = dir.File("vocab");

        var (exit, stdout, stderr) = Run("vocab", "train", "--corpus", dir.File("corpus.txt"), "--vocab-size", "150", "--output", output,
            "--lowercase", "--held-out", "0.2", "--threads", "2");

        Assert.True(exit == 0, stderr);
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], File.ReadLines(Path.Combine(output, "vocab.txt")).Take(5));
        var tokenizer = TokenizerLoader.FromFolder(output);
        Assert.True(tokenizer.VocabSize <= 150);
        Assert.Contains("trained", stdout);
        Assert.Contains("held-out: ", stdout);
        Assert.Contains("tokens/word", stdout);
        // Lowercased: "The" and "the" are one word.
        Assert.Equal(tokenizer.Encode("THE").Ids, tokenizer.Encode("the").Ids);
    }

    [Fact]
    public void ExtendWritesAGrownModelThatLoads()
    {
        using var dir = new TempFolder();
        var baseFolder = VocabularyExtenderTests.TinyModelFolder(dir.Path);
        File.WriteAllLines(dir.File("domain.txt"), VocabularyExtenderTests.DomainCorpus().Select(d => d.Text));
        var output = dir.File("extended");

        var (exit, stdout, stderr) = Run("vocab", "extend", "--model", baseFolder, "--corpus", dir.File("domain.txt"), "--add", "4",
            "--min-frequency", "2", "--held-out", "0", "--output", output);

        Assert.True(exit == 0, stderr);
        var oldSize = TokenizerLoader.FromFolder(baseFolder).VocabSize;
        Assert.Contains($"added 4 words: vocabulary {oldSize:N0} → {oldSize + 4:N0}", stdout);
        Assert.Contains("before (all): ", stdout);
        Assert.Contains("after  (all): ", stdout);
        var (model, report) = PretrainedModel.Load(output);
        using var _m = model;
        Assert.True(report.IsExactMatch, report.Describe());
        Assert.Equal(oldSize + 4, model.Config.VocabSize);
        Assert.Equal(oldSize + 4, TokenizerLoader.FromFolder(output).VocabSize);
    }

    [Fact]
    public void ExtendRefusesAVocabModelSizeMismatch()
    {
        using var dir = new TempFolder();
        var baseFolder = VocabularyExtenderTests.TinyModelFolder(dir.Path, configVocabSize: 99);
        File.WriteAllLines(dir.File("domain.txt"), VocabularyExtenderTests.DomainCorpus().Select(d => d.Text));

        var (exit, _, stderr) = Run("vocab", "extend", "--model", baseFolder, "--corpus", dir.File("domain.txt"), "--add", "4",
            "--output", dir.File("out"));

        Assert.Equal(2, exit);
        Assert.Contains("vocab/model size mismatch", stderr);
        Assert.Contains("vocab_size 99", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void MeasurePrintsTokensPerWord()
    {
        using var dir = new TempFolder();
        File.WriteAllLines(dir.File("corpus.txt"), ["Hello world, unaffable", "", "hello"]);

        var (exit, stdout, stderr) = Run("vocab", "measure", "--model", TestPaths.Fixture("tokenizers", "bert-base-uncased"), "--corpus", dir.File("corpus.txt"));

        Assert.True(exit == 0, stderr);
        // hello | world | , | una ##ffa ##ble, then hello: 7 tokens over 5 words.
        Assert.Contains("1.4000 tokens/word (7 tokens / 5 words", stdout);
        Assert.Contains("2 documents", stdout);
    }

    [Fact]
    public void MeasureRefusesAModelFolderWhoseTokenizerOutgrowsItsEmbeddings()
    {
        using var dir = new TempFolder();
        var folder = VocabularyExtenderTests.TinyModelFolder(dir.Path, configVocabSize: 40);
        File.WriteAllLines(dir.File("corpus.txt"), ["some text"]);
        var (exit, _, stderr) = Run("vocab", "measure", "--model", folder, "--corpus", dir.File("corpus.txt"));
        Assert.Equal(2, exit);
        Assert.Contains("vocab/model size mismatch", stderr);
        Assert.Contains("vocab_size 40", stderr);
    }

    [Fact]
    public void MissingCorpusIsBadInput()
    {
        using var dir = new TempFolder();
        var (exit, _, stderr) = Run("vocab", "measure", "--model", TestPaths.Fixture("tokenizers", "bert-base-uncased"), "--corpus", dir.File("nope.txt"));
        Assert.Equal(2, exit);
        Assert.Contains("nope.txt", stderr);
    }
}
