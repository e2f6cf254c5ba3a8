using Acclimate.Data.Batching;
using Acclimate.Data.Corpora;
using Acclimate.Data.Caching;
using Acclimate.Errors;
using Acclimate.Tokenization;

namespace Acclimate.Tests.Data.Caching;

public sealed class TokenCacheTests
{
    private static readonly string BertFolder = TestPaths.Fixture("tokenizers", "bert-base-uncased");

    [Fact]
    public void CacheHoldsTheTokenizersIdsAndIsReusedWithoutTokenizing()
    {
        using var temp = TestPaths.NewTempFolder();
        var corpus = WriteCorpus(temp, "The cat sat on the mat.\nA dog barked at the mailman!\n\nTokenization happens once.\n");
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        var reader = new CorpusReader(corpus, new CorpusOptions { Mode = DocumentMode.Line });
        var reports = 0;
        using (var cache = TokenCacheBuilder.GetOrBuild(reader, tokenizer, BertFolder, temp.File("cache"), new Progress<TokenCacheProgress>(_ => reports++)))
        {
            var docs = reader.Documents().ToList();
            Assert.Equal(docs.Count, cache.DocumentCount);
            for (var i = 0; i < docs.Count; i++)
                Assert.Equal(tokenizer.Encode(docs[i].Text, null, new EncodeOptions { AddSpecialTokens = false }).Ids, cache.Document(i));
            Assert.Equal(docs.Sum(d => tokenizer.Encode(d.Text, null, new EncodeOptions { AddSpecialTokens = false }).Count), cache.TokenCount);
        }
        // Second time: the same folder is opened, not rebuilt (its files keep their write times).
        var folder = Directory.GetDirectories(temp.File("cache")).Single();
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(folder, Acclimate.Data.Caching.TokenCache.ShardFileName(0)));
        using (var again = TokenCacheBuilder.GetOrBuild(reader, tokenizer, BertFolder, temp.File("cache")))
        {
            Assert.Equal(folder, again.Folder);
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(folder, Acclimate.Data.Caching.TokenCache.ShardFileName(0))));
        }
        // A changed corpus gets a different key.
        File.AppendAllText(corpus, "one more line\n");
        using var changed = TokenCacheBuilder.GetOrBuild(new CorpusReader(corpus, new CorpusOptions { Mode = DocumentMode.Line }), tokenizer, BertFolder, temp.File("cache"));
        Assert.NotEqual(folder, changed.Folder);
        Assert.Equal(2, Directory.GetDirectories(temp.File("cache")).Length);
    }

    [Fact]
    public void PackedBlocksCoverTheStreamWithSeparatorsAndLineModeTruncates()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        var texts = Enumerable.Range(0, 40).Select(i => $"document number {i} talks about topic {i % 7} and nothing else at all").ToArray();
        Acclimate.Data.Caching.TokenCacheBuilder.Build(texts, tokenizer, temp.File("c"), "k", "t", "test corpus");
        using var cache = Acclimate.Data.Caching.TokenCache.Open(temp.File("c"));

        var packed = new PretrainingBlocks(cache, 16, BlockMode.Packed, tokenizer.ClsTokenId, tokenizer.SepTokenId);
        var stream = new List<int>();
        for (var d = 0; d < cache.DocumentCount; d++) { stream.AddRange(cache.Document(d)); stream.Add(tokenizer.SepTokenId); }
        Assert.Equal(stream.Count / 14, packed.Count);
        for (var b = 0; b < packed.Count; b++)
        {
            var block = packed.Block(b);
            Assert.Equal(16, block.Length);
            Assert.Equal(tokenizer.ClsTokenId, block[0]);
            Assert.Equal(tokenizer.SepTokenId, block[^1]);
            Assert.Equal(stream.Skip(b * 14).Take(14), block[1..^1]);
        }

        var lines = new PretrainingBlocks(cache, 8, BlockMode.LineByLine, tokenizer.ClsTokenId, tokenizer.SepTokenId);
        Assert.Equal(40, lines.Count);
        Assert.Equal(cache.Document(3).Take(6), lines.Block(3)[1..^1]);

        var order = packed.EpochOrder(seed: 5, epoch: 1);
        Assert.Equal(Enumerable.Range(0, packed.Count), order.OrderBy(i => i));
        Assert.Equal(order, packed.EpochOrder(5, 1));
        Assert.NotEqual(order, packed.EpochOrder(5, 2));
    }

    [Fact]
    public void CorpusSmallerThanOneBlockIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        Acclimate.Data.Caching.TokenCacheBuilder.Build(new[] { "tiny corpus" }, tokenizer, temp.File("c"), "k", "t", "tiny.txt");
        using var cache = Acclimate.Data.Caching.TokenCache.Open(temp.File("c"));
        var e = Assert.Throws<DataException>(() => new PretrainingBlocks(cache, 128, BlockMode.Packed, 101, 102));
        Assert.Contains("tiny.txt", e.Message);
        Assert.Contains("less than one block of 128", e.Message);
    }

    [Fact]
    public void EmptyCorpusIsAClearErrorAndLeavesNoFolder()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        var e = Assert.Throws<DataException>(() => Acclimate.Data.Caching.TokenCacheBuilder.Build(Array.Empty<string>(), tokenizer, temp.File("c"), "k", "t", "empty.txt"));
        Assert.Contains("empty.txt", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void TruncatedIdsFileIsDetectedOnOpen()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        Acclimate.Data.Caching.TokenCacheBuilder.Build(new[] { "some words here", "and more words there" }, tokenizer, temp.File("c"), "k", "t", "x");
        var ids = Path.Combine(temp.File("c"), Acclimate.Data.Caching.TokenCache.ShardFileName(0));
        var bytes = File.ReadAllBytes(ids);
        File.WriteAllBytes(ids, bytes[..^4]);
        var e = Assert.Throws<DataException>(() => Acclimate.Data.Caching.TokenCache.Open(temp.File("c")));
        Assert.Contains("ids-00000.bin", e.Message);
    }

    private static string WriteCorpus(TempFolder temp, string text)
    {
        var path = temp.File("corpus.txt");
        File.WriteAllText(path, text);
        return path;
    }
}
