using Acclimate.Errors;
using Acclimate.Tokenization;

namespace Acclimate.Tests.Tokenization;

/// <summary>Broken model folders fail with a <see cref="TokenizerException"/> naming the file and what was expected.</summary>
public sealed class BadTokenizerInputTests
{
    [Fact]
    public void FolderWithoutVocabularyNamesTheAcceptedFiles()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("config.json"), "{}");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("vocab.txt, vocab.json+merges.txt, or spiece.model", e.Message);
    }

    [Fact]
    public void MissingFolderIsReported()
    {
        string missing = Path.Combine(Path.GetTempPath(), "acclimate-no-such-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(missing));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void VocabJsonWithoutMergesSaysWhatIsMissing()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("vocab.json"), "{\"a\": 0}");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains("merges.txt", e.Message);
    }

    [Fact]
    public void MalformedTokenizerConfigNamesTheFileAndLine()
    {
        using var dir = new TempFolder();
        File.Copy(Path.Combine(TokenizerFixtures.ModelDir("bert-base-uncased"), "vocab.txt"), dir.File("vocab.txt"));
        File.WriteAllText(dir.File("tokenizer_config.json"), "{\n  \"do_lower_case\": true,\n  \"model_max_length\": oops\n}");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains(dir.File("tokenizer_config.json"), e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void WronglyTypedSettingNamesTheKey()
    {
        using var dir = new TempFolder();
        File.Copy(Path.Combine(TokenizerFixtures.ModelDir("bert-base-uncased"), "vocab.txt"), dir.File("vocab.txt"));
        File.WriteAllText(dir.File("tokenizer_config.json"), "{\"do_lower_case\": \"yes\"}");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains("do_lower_case", e.Message);
    }

    [Fact]
    public void EmptyVocabTxtIsRejected()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("vocab.txt"), "\n\n");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains(dir.File("vocab.txt"), e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void VocabWithoutTheUnknownTokenIsRejected()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("vocab.txt"), "[PAD]\n[CLS]\n[SEP]\n[MASK]\nhello\n");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains("unk_token", e.Message);
        Assert.Contains("[UNK]", e.Message);
    }

    [Fact]
    public void MalformedMergesLineNamesFileAndLine()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("vocab.json"), "{\"<s>\":0,\"<pad>\":1,\"</s>\":2,\"<unk>\":3,\"a\":4,\"b\":5,\"ab\":6,\"<mask>\":7}");
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\na b\nab\n");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains(dir.File("merges.txt"), e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void MergeOutsideTheVocabularyNamesTheToken()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("vocab.json"), "{\"<s>\":0,\"<pad>\":1,\"</s>\":2,\"<unk>\":3,\"a\":4,\"b\":5,\"<mask>\":7}");
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\na b\n");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains("line 2", e.Message);
        Assert.Contains("\"ab\"", e.Message);
    }

    [Fact]
    public void MalformedVocabJsonNamesTheFile()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("vocab.json"), "{\"a\": 0,\n \"b\": }");
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\n");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains(dir.File("vocab.json"), e.Message);
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void CorruptSentencePieceModelNamesTheFile()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("spiece.model"), [0x0A, 0xFF, 0x01, 0x02]);
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains(dir.File("spiece.model"), e.Message);
        Assert.Contains("SentencePiece", e.Message);
    }
}
