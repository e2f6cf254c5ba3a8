using Acclimate.Cli;
using Acclimate.Data.Caching;
using Acclimate.Data.Corpora;
using Acclimate.Tests.Data.Corpora;
using Acclimate.Tokenization;

namespace Acclimate.Tests.Data.Caching;

public sealed class DataCacheCommandTests
{
    private static readonly string BertFolder = TestPaths.Fixture("tokenizers", "bert-base-uncased");

    [Fact]
    public void DataCacheBuildsTheCachePretrainWouldUseThenReusesIt()
    {
        using var temp = TestPaths.NewTempFolder();
        var texts = Enumerable.Range(0, 30).Select(i => $"abstract {i} reports a trial of drug {i % 4} in patients").ToArray();
        ParquetFixture.WriteTexts(temp.File("train.parquet"), texts, rowGroupSize: 8);
        string[] args = ["data", "cache", "--corpus", temp.File("train.parquet"), "--model", BertFolder, "--token-cache", temp.File("tokens"), "--shard-tokens", "50"];
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.True(CliApp.Run(args, stdout, stderr) == 0, stderr.ToString());
        Assert.Matches(@"token cache built in [\d.]+ s \([\d,]+ tokens/s\): 30 documents, [\d,]+ tokens in \d+ shard\(s\)", stdout.ToString());
        // The folder is the one GetOrBuild (pretrain) picks for this corpus and tokenizer.
        var folder = TokenCacheBuilder.CacheFolder(new CorpusReader(temp.File("train.parquet")), BertFolder, temp.File("tokens"));
        using (var cache = TokenCache.Open(folder))
        {
            var tokenizer = TokenizerLoader.FromFolder(BertFolder);
            Assert.True(cache.ShardCount > 1);
            Assert.Equal(tokenizer.Encode(texts[29], null, new EncodeOptions { AddSpecialTokens = false }).ToIdArray(), cache.Document(29));
        }
        stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(args, stdout, new StringWriter()));
        Assert.Contains("token cache reused: 30 documents", stdout.ToString());
    }

    [Fact]
    public void DataCacheWithAMissingParquetColumnExitsWithTwoListingTheColumns()
    {
        using var temp = TestPaths.NewTempFolder();
        ParquetFixture.WriteTexts(temp.File("train.parquet"), new[] { "some text" }, 1, textColumn: "content");
        var stderr = new StringWriter();
        var code = CliApp.Run(["data", "cache", "--corpus", temp.File("train.parquet"), "--model", BertFolder, "--token-cache", temp.File("tokens")], new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("no column 'text'", stderr.ToString());
        Assert.Contains("'content' (string)", stderr.ToString());
        Assert.False(Directory.Exists(temp.File("tokens")) && Directory.EnumerateFileSystemEntries(temp.File("tokens")).Any(e => !Path.GetFileName(e).StartsWith('.')));
    }
}
