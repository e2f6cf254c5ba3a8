using Acclimate.Errors;
using Acclimate.Tokenization;
using Acclimate.Tokenization.Vocabulary;

namespace Acclimate.Tests.Tokenization.Vocabulary;

/// <summary>WordPiece training: specials first, size bound, the merge order, determinism, and a folder the loader reads back.</summary>
public sealed class WordPieceTrainerTests
{
    internal static readonly string[] SampleText =
    [
        "The lower layers of the network learn general features; the upper layers learn specific ones.",
        "Lowering the learning rate helps the newest layers: lower, lowest, newer, newest, wider, widest.",
        "Proteins bind receptors. The receptor-binding domain of the protein was mutated (E484K).",
        "Café owners in Zürich said the RÉSUMÉ was fine, 42 times over!",
        "Tokenizers split rare words into pieces; frequent words stay whole.",
    ];

    [Fact]
    public void SpecialTokensComeFirstAndTheVocabularyFitsTheRequestedSize()
    {
        var vocab = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 200, MinFrequency = 1 }).Train(SampleText);

        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], vocab.Tokens.Take(5));
        Assert.True(vocab.Count <= 200, $"{vocab.Count} tokens");
        Assert.True(vocab.Merges > 0);
        Assert.Equal(vocab.Count, vocab.Tokens.Distinct(StringComparer.Ordinal).Count());
        // Lowercased and accent-stripped like BERT uncased: no upper-case letter or accent made it into the vocabulary.
        Assert.DoesNotContain(vocab.Tokens.Skip(5), t => t.Any(char.IsUpper) || t.Contains('é') || t.Contains('ü'));
        Assert.Contains("e", vocab.Tokens);
        Assert.Contains("##e", vocab.Tokens);
    }

    [Fact]
    public void MergesTheMostFrequentPairFirstAndStopsAtMinFrequency()
    {
        // ab ×5 and abc ×3: (a, ##b) occurs 8 times and becomes "ab" (id 11 after 5 specials + a b c + ##a ##b ##c);
        // then (ab, ##c) occurs 3 times and becomes "abc".
        var words = WordFrequencies.FromCounts(new Dictionary<string, long> { ["ab"] = 5, ["abc"] = 3 });
        var full = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 50, MinFrequency = 1 }).Train(words);
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "##a", "##b", "##c", "ab", "abc"], full.Tokens);

        var frequentOnly = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 50, MinFrequency = 4 }).Train(words);
        Assert.Equal("ab", frequentOnly.Tokens[^1]);
        Assert.Equal(12, frequentOnly.Count);

        var capped = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 12, MinFrequency = 1 }).Train(words);
        Assert.Equal(12, capped.Count);
    }

    [Fact]
    public void ContinuationMergesDropTheInnerPrefix()
    {
        // "xyz" ×4, "ayz" ×4: (##y, ##z) occurs 8 times and becomes "##yz", not "##y##z".
        var words = WordFrequencies.FromCounts(new Dictionary<string, long> { ["xyz"] = 4, ["ayz"] = 4 });
        var vocab = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 5 + 8 + 1, MinFrequency = 1 }).Train(words);
        Assert.Equal("##yz", vocab.Tokens[^1]);
    }

    [Fact]
    public void OutputIsDeterministicWhateverTheThreadCount()
    {
        var text = Enumerable.Range(0, 40).SelectMany(i => SampleText.Select(s => $"{s} sample{i % 7}")).ToList();
        var one = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 150, Threads = 1 }).Train(text);
        var four = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 150, Threads = 4 }).Train(text);
        var again = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 150, Threads = 4 }).Train(text);
        Assert.Equal(one.Tokens, four.Tokens);
        Assert.Equal(four.Tokens, again.Tokens);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SavedFolderLoadsBackAndTokenizesEveryTrainingWordWithoutUnk(bool lowercase)
    {
        var vocab = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 120, MinFrequency = 1, Lowercase = lowercase }).Train(SampleText);
        using var dir = new TempFolder();
        vocab.Save(dir.Path);

        var tokenizer = TokenizerLoader.FromFolder(dir.Path);
        Assert.Equal(TokenizerKind.WordPiece, tokenizer.Kind);
        Assert.Equal(vocab.Count, tokenizer.VocabSize);
        Assert.Equal((0, 1, 2, 3, 4), (tokenizer.PadTokenId, tokenizer.UnkTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.MaskTokenId));
        for (int id = 0; id < vocab.Count; id++) Assert.Equal(vocab.Tokens[id], tokenizer.IdToToken(id));
        foreach (var line in SampleText)
        {
            var encoded = tokenizer.Encode(line);
            Assert.DoesNotContain(tokenizer.UnkTokenId, encoded.Ids);
            Assert.Equal(tokenizer.ClsTokenId, encoded.Ids[0]);
        }
        // The folder's normalization is the training one: cased training keeps "Café" apart from "cafe".
        var cafe = tokenizer.Encode("Café", options: new EncodeOptions { AddSpecialTokens = false });
        Assert.Equal(lowercase ? "cafe" : "Café", string.Concat(cafe.Tokens.Select(t => t.Replace("##", ""))));
        // A frequent training word ("the", 6 times) ends up whole.
        Assert.Single(tokenizer.Encode("the", options: new EncodeOptions { AddSpecialTokens = false }).Ids);
    }

    [Fact]
    public void LimitedAlphabetLeavesRareCharactersOut()
    {
        var vocab = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 100, LimitAlphabet = 10, MinFrequency = 1 }).Train(SampleText);
        Assert.Equal(10, vocab.AlphabetSize);
        Assert.Equal(5 + 20, vocab.AlphabetTokens);
        Assert.DoesNotContain("z", vocab.Tokens);   // 'z' is rare in the sample
        Assert.True(vocab.WordsSkipped > 0);
    }

    [Fact]
    public void TooSmallVocabularyIsAClearError()
    {
        var e = Assert.Throws<ConfigException>(() => new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 20 }).Train(SampleText));
        Assert.Contains("vocabulary size 20 is too small", e.Message);
        Assert.Contains("limit the alphabet", e.Message);
        Assert.Throws<ConfigException>(() => new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 100, PadToken = "[UNK]" }));
    }

    [Fact]
    public void SavingBesideAFastTokenizerFileIsRefused()
    {
        var vocab = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 120, MinFrequency = 1 }).Train(SampleText);
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("tokenizer.json"), "{}");
        var e = Assert.Throws<TokenizerException>(() => vocab.Save(dir.Path));
        Assert.Contains("tokenizer.json", e.Message);
        Assert.False(File.Exists(dir.File("vocab.txt")));
    }
}
