using Acclimate.Tokenization;
using Acclimate.Tokenization.Vocabulary;

namespace Acclimate.Tests.Tokenization.Vocabulary;

/// <summary>The word splitter agrees with the tokenizer's words, and its ASCII fast path with its reference path.</summary>
public sealed class BertWordSplitterTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AsciiFastPathCountsWhatTheReferencePathSplits(bool lowercase)
    {
        var random = new Random(17);
        const string common = "abcXYZ  .,-'()[]{}$+<=>^`|~\t\n\r\0\u000B\u000C\u001F\u007F09";
        var splitter = new BertWordSplitter(lowercase, lowercase, tokenizeChineseChars: true);
        for (int trial = 0; trial < 500; trial++)
        {
            var chars = new char[random.Next(0, 60)];
            for (int i = 0; i < chars.Length; i++)
                chars[i] = random.Next(3) == 0 ? (char)random.Next(0, 128) : common[random.Next(common.Length)];
            var text = new string(chars);
            Assert.True(System.Text.Ascii.IsValid(text));

            var fast = new Dictionary<string, long>(StringComparer.Ordinal);
            long n = splitter.CountInto(text, fast);
            var reference = splitter.Words(text).GroupBy(w => w, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
            Assert.Equal(reference.Values.Sum(), n);
            Assert.Equal(reference.OrderBy(kv => kv.Key, StringComparer.Ordinal), fast.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        }
    }

    [Fact]
    public void WordsAreTheTokenizersWords()
    {
        var tokenizer = TokenizerLoader.FromFolder(TestPaths.Fixture("tokenizers", "bert-base-uncased"));
        var splitter = new BertWordSplitter(lowercase: true, stripAccents: true, tokenizeChineseChars: true);
        const string text = "Héllo, WORLD! 北京 naïve\tdon't \u0085x";
        var encoded = tokenizer.Encode(text, options: new EncodeOptions { AddSpecialTokens = false });
        var tokenizerWords = encoded.WordIds.Select((w, i) => (w, i)).GroupBy(p => p.w)
            .Select(g => string.Concat(g.Select(p => encoded.Tokens[p.i].StartsWith("##") ? encoded.Tokens[p.i][2..] : encoded.Tokens[p.i])));
        Assert.Equal(tokenizerWords, splitter.Words(text));
        Assert.Equal(["hello", ",", "world", "!", "北", "京", "naive", "don", "'", "t", "x"], splitter.Words(text));
    }
}
