using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Acclimate.Data.Caching;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Tests.Data.Corpora;
using Acclimate.Tokenization;

namespace Acclimate.Tests.Data.Caching;

public sealed class ShardedTokenCacheTests
{
    private static readonly string BertFolder = TestPaths.Fixture("tokenizers", "bert-base-uncased");
    private static readonly EncodeOptions NoSpecials = new() { AddSpecialTokens = false };

    /// <summary>The texts of an existing fixture (tests/fixtures/data/cls-domain/chemprot-train.jsonl).</summary>
    private static string[] FixtureTexts() =>
        TextRecordReader.Read(TestPaths.Fixture("data", "cls-domain", "chemprot-train.jsonl")).ToArray();

    [Fact]
    public void EveryFormatAndShardSizeGivesTheIdsOfInMemoryTokenization()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        var texts = FixtureTexts();
        Assert.Equal(10, texts.Length);
        // The in-memory path: encode each text, concatenate.
        var expected = texts.Select(t => tokenizer.Encode(t, null, NoSpecials).ToIdArray()).ToArray();

        // The same documents as plain text, gzip text, JSONL (the fixture itself), gzip JSONL and Parquet.
        var text = temp.File("c.txt");
        // Blank lines (and a blank, CRLF-ended first line) are not documents: the ids must not change.
        File.WriteAllText(text, "\r\n" + string.Join("\n\n", texts) + "\n\n");
        Gzip(text, temp.File("c.txt.gz"));
        Gzip(TestPaths.Fixture("data", "cls-domain", "chemprot-train.jsonl"), temp.File("c.jsonl.gz"));
        ParquetFixture.WriteTexts(temp.File("c.parquet"), texts, rowGroupSize: 4);
        var inputs = new[] { text, temp.File("c.txt.gz"), TestPaths.Fixture("data", "cls-domain", "chemprot-train.jsonl"), temp.File("c.jsonl.gz"), temp.File("c.parquet") };

        var total = expected.Sum(e => (long)e.Length);
        foreach (var input in inputs)
        foreach (var shardTokens in new long[] { 7, 64, TokenCacheBuilder.DefaultShardTokens })
        {
            var root = temp.File($"cache-{shardTokens}");
            using var cache = TokenCacheBuilder.GetOrBuild(new CorpusReader(input), tokenizer, BertFolder, root, shardTokens: shardTokens);
            Assert.Equal(texts.Length, cache.DocumentCount);
            Assert.Equal(total, cache.TokenCount);
            Assert.Equal((int)((total + shardTokens - 1) / shardTokens), cache.ShardCount);
            for (var d = 0; d < texts.Length; d++) Assert.Equal(expected[d], cache.Document(d));
        }
    }

    [Fact]
    public void DocumentsSpanningShardBoundariesAndEmptyDocumentsReadBack()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        // Empty documents (no tokens) at the start, in the middle and at the end; documents longer than a shard.
        var texts = new[] { "", "one", "a much longer document that is sure to cross more than one shard boundary of five", "", "", "two words", "three more words here", "" };
        var encoded = texts.Select(t => tokenizer.Encode(t, null, NoSpecials).ToIdArray()).ToArray();
        var flat = encoded.SelectMany(e => e).ToArray();
        TokenCacheBuilder.Build(texts, tokenizer, temp.File("c"), "k", "t", "boundaries", shardTokens: 5);
        using var cache = TokenCache.Open(temp.File("c"));
        Assert.Equal(texts.Length, cache.DocumentCount);
        Assert.Equal((flat.Length + 4) / 5, cache.ShardCount);
        Assert.Equal(flat.Length, cache.TokenCount);
        for (var d = 0; d < texts.Length; d++)
        {
            Assert.Equal(encoded[d], cache.Document(d));
            Assert.Equal(encoded.Take(d).Sum(e => (long)e.Length), cache.DocumentStart(d));
        }
        Assert.Equal(0, cache.DocumentLength(0));
        // Every window of the flat sequence, whatever shards it touches.
        for (var start = 0; start < flat.Length; start++)
        for (var length = 0; start + length <= flat.Length; length += 3)
        {
            var buffer = new int[length];
            cache.Read(start, buffer);
            Assert.Equal(flat.AsSpan(start, length).ToArray(), buffer);
        }
        // Shard files hold exactly 5 ids each but the last.
        var shards = Directory.GetFiles(temp.File("c"), "ids-*.bin").Order(StringComparer.Ordinal).ToArray();
        Assert.All(shards[..^1], s => Assert.Equal(20, new FileInfo(s).Length));
        Assert.Equal((flat.Length - 5 * (shards.Length - 1)) * 4, new FileInfo(shards[^1]).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Read(flat.Length - 2, new int[3]));
    }

    [Fact]
    public void ACacheWrittenBeforeShardingStillOpens()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        var texts = FixtureTexts();
        var encoded = texts.Select(t => tokenizer.Encode(t, null, NoSpecials).ToIdArray()).ToArray();
        // Format 1 exactly as the builder before sharding wrote it: ids.bin, docs.bin, meta.json without format/shard fields.
        var folder = temp.File("old");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "ids.bin"), MemoryMarshal.AsBytes(encoded.SelectMany(e => e).ToArray().AsSpan()).ToArray());
        var starts = new List<long> { 0 };
        foreach (var e in encoded) starts.Add(starts[^1] + e.Length);
        File.WriteAllBytes(Path.Combine(folder, "docs.bin"), MemoryMarshal.AsBytes(starts.ToArray().AsSpan()).ToArray());
        File.WriteAllText(Path.Combine(folder, "meta.json"), JsonSerializer.Serialize(new
        {
            Key = "k", TokenizerFingerprint = "t", CorpusDescription = "old corpus", Documents = texts.Length, Tokens = starts[^1],
            VocabSize = tokenizer.VocabSize, CreatedUtc = DateTime.UtcNow,
        }));
        using var cache = TokenCache.Open(folder);
        Assert.Equal(1, cache.Meta.Format);
        Assert.Equal(1, cache.ShardCount);
        for (var d = 0; d < texts.Length; d++) Assert.Equal(encoded[d], cache.Document(d));
    }

    [Fact]
    public void NewerFormatAndMissingShardAreErrorsSayingToRebuild()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        TokenCacheBuilder.Build(FixtureTexts(), tokenizer, temp.File("c"), "k", "t", "fixture", shardTokens: 100);
        var metaPath = Path.Combine(temp.File("c"), TokenCache.MetaFile);
        var meta = JsonSerializer.Deserialize<TokenCacheMeta>(File.ReadAllText(metaPath))!;
        Assert.Equal(TokenCache.CurrentFormat, meta.Format);
        Assert.Equal(meta.ShardFiles!.Count, Directory.GetFiles(temp.File("c"), "ids-*.bin").Length);

        File.Delete(Path.Combine(temp.File("c"), TokenCache.ShardFileName(1)));
        var e = Assert.Throws<DataException>(() => TokenCache.Open(temp.File("c")));
        Assert.Contains("ids-00001.bin", e.Message);
        Assert.Contains("rebuild", e.Message);

        File.WriteAllText(metaPath, JsonSerializer.Serialize(meta with { Format = TokenCache.CurrentFormat + 1 }));
        e = Assert.Throws<DataException>(() => TokenCache.Open(temp.File("c")));
        Assert.Contains($"format {TokenCache.CurrentFormat + 1}", e.Message);
        Assert.Contains("rebuild", e.Message);
    }

    [Fact]
    public void AnUnwritableCacheLocationIsADataErrorNotAStackTrace()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        // The cache root's parent is a regular file, so no folder can be made under it (as with a full or read-only disk, an IOException).
        File.WriteAllText(temp.File("blocker"), "not a folder");
        var folder = Path.Combine(temp.File("blocker"), "tokens", "tokens-k");
        var e = Assert.Throws<DataException>(() => TokenCacheBuilder.Build(FixtureTexts(), tokenizer, folder, "k", "t", "fixture"));
        Assert.Contains(folder, e.Message);
        Assert.Contains("could not be written", e.Message);
        Assert.IsAssignableFrom<IOException>(e.InnerException);
    }

    [Fact]
    public void ProgressReportsTokensShardsAndRate()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = TokenizerLoader.FromFolder(BertFolder);
        var texts = Enumerable.Range(0, 600).Select(i => $"document {i} says something about topic {i % 13}").ToArray();
        var reports = new List<TokenCacheProgress>();
        TokenCacheBuilder.Build(texts, tokenizer, temp.File("c"), "k", "t", "generated", new SyncProgress(reports.Add), threads: 1, shardTokens: 1000);
        using var cache = TokenCache.Open(temp.File("c"));
        // One report per chunk of 256 documents; the last one covers everything.
        Assert.Equal(3, reports.Count);
        Assert.Equal(new[] { 256, 512, 600 }, reports.Select(r => r.Documents));
        Assert.Equal(cache.TokenCount, reports[^1].Tokens);
        Assert.Equal(cache.ShardCount, reports[^1].Shards);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.Tokens < p.Second.Tokens && p.First.Shards <= p.Second.Shards));
        Assert.True(reports[^1].TokensPerSecond > 0);
        Assert.Equal(reports[^1].Tokens / reports[^1].Elapsed.TotalSeconds, reports[^1].TokensPerSecond, 6);
    }

    private static void Gzip(string source, string destination)
    {
        using var gz = new GZipStream(File.Create(destination), CompressionLevel.Fastest);
        gz.Write(File.ReadAllBytes(source));
    }

    private sealed class SyncProgress(Action<TokenCacheProgress> report) : IProgress<TokenCacheProgress>
    {
        public void Report(TokenCacheProgress value) => report(value);
    }
}
