using System.IO.Compression;
using System.Text;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Corpora;

public sealed class ParquetTextReaderTests
{
    private static readonly string?[] Texts = { "first document", null, "  ", "third one here", "fourth", "", "seventh and last" };

    [Fact]
    public void CorpusReaderReadsAParquetTextColumnAcrossRowGroupsSkippingNullAndBlankCells()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("train-00000-of-00001.parquet");
        ParquetFixture.WriteTexts(path, Texts, rowGroupSize: 3);
        var docs = new CorpusReader(path).Documents().ToList();
        Assert.Equal(new[] { "first document", "third one here", "fourth", "seventh and last" }, docs.Select(d => d.Text));
        // Ids and line numbers are 1-based rows of the file, across row groups.
        Assert.Equal(new[] { 1, 4, 5, 7 }, docs.Select(d => d.LineNumber));
        Assert.Equal("train-00000-of-00001.parquet:7", docs[^1].Id);
    }

    [Fact]
    public void ParquetInAFolderCorpusIsReadBesideTextAndJsonl()
    {
        using var temp = TestPaths.NewTempFolder();
        var folder = temp.File("corpus");
        Directory.CreateDirectory(folder);
        ParquetFixture.WriteTexts(Path.Combine(folder, "a.parquet"), new[] { "from parquet" }, 10);
        File.WriteAllText(Path.Combine(folder, "b.jsonl"), "{\"text\": \"from jsonl\"}\n");
        File.WriteAllText(Path.Combine(folder, "c.txt"), "from text\n");
        Assert.Equal(new[] { "from parquet", "from jsonl", "from text" }, new CorpusReader(folder).Documents().Select(d => d.Text));
    }

    [Fact]
    public void MissingColumnIsAnErrorListingTheColumns()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("data.parquet");
        ParquetFixture.WriteTexts(path, Texts, 4, textColumn: "content");
        var e = Assert.Throws<DataException>(() => new CorpusReader(path).Documents().ToList());
        Assert.Contains("data.parquet", e.Message);
        Assert.Contains("no column 'text'", e.Message);
        Assert.Contains("'content' (string), 'id' (int64), 'blob' (binary)", e.Message);
        // Named correctly, it reads.
        Assert.Equal(4, new CorpusReader(path, new CorpusOptions { TextField = "content" }).Documents().Count());
    }

    [Theory]
    [InlineData("id", "int64")]
    [InlineData("blob", "binary")]
    public void NonStringColumnIsAnErrorNamingItsType(string column, string type)
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("data.parquet");
        ParquetFixture.WriteTexts(path, Texts, 4);
        var e = Assert.Throws<DataException>(() => new CorpusReader(path, new CorpusOptions { TextField = column }).Documents().ToList());
        Assert.Contains($"column '{column}' is {type}; expected a string column", e.Message);
    }

    [Fact]
    public void NotParquetAndTruncatedParquetAreDataErrorsNamingTheFile()
    {
        using var temp = TestPaths.NewTempFolder();
        var fake = temp.File("fake.parquet");
        File.WriteAllText(fake, "just some text, not parquet at all\n");
        var e = Assert.Throws<DataException>(() => new CorpusReader(fake).Documents().ToList());
        Assert.Contains("fake.parquet", e.Message);
        Assert.Contains("not a readable Parquet file", e.Message);

        var good = temp.File("good.parquet");
        ParquetFixture.WriteTexts(good, Enumerable.Range(0, 200).Select(i => $"row {i} " + new string('x', i % 50)).ToArray(), 50);
        var bytes = File.ReadAllBytes(good);
        var cut = temp.File("cut.parquet");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        e = Assert.Throws<DataException>(() => new CorpusReader(cut).Documents().ToList());
        Assert.Contains("cut.parquet", e.Message);

        // Damage inside a row group's pages (the footer intact): the row group is named.
        var damaged = (byte[])bytes.Clone();
        for (var i = 8; i < 400; i++) damaged[i] ^= 0x5A;
        var bad = temp.File("bad.parquet");
        File.WriteAllBytes(bad, damaged);
        e = Assert.Throws<DataException>(() => new CorpusReader(bad).Documents().ToList());
        Assert.Contains("bad.parquet", e.Message);
        Assert.Contains("row group 0", e.Message);
    }

    [Fact]
    public void TextRecordsAreNumberedTheSameInEveryFormat()
    {
        using var temp = TestPaths.NewTempFolder();
        string[] records = { "alpha beta", "", "gamma", "delta epsilon zeta" };
        File.WriteAllText(temp.File("p.txt"), string.Join("\n", records) + "\n");
        using (var gz = new GZipStream(File.Create(temp.File("p.txt.gz")), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes(string.Join("\n", records) + "\n"));
        ParquetFixture.WriteTexts(temp.File("p.parquet"), records, 3);
        File.WriteAllText(temp.File("p.jsonl"), string.Join("\n", records.Select(r => $"{{\"text\": \"{r}\"}}")) + "\n");
        using (var gz = new GZipStream(File.Create(temp.File("p.jsonl.gz")), CompressionLevel.Fastest))
            gz.Write(File.ReadAllBytes(temp.File("p.jsonl")));
        foreach (var name in new[] { "p.txt", "p.txt.gz", "p.parquet", "p.jsonl", "p.jsonl.gz" })
            Assert.Equal(records, TextRecordReader.Read(temp.File(name)).ToArray());
        // A null Parquet cell keeps its place as an empty record.
        ParquetFixture.WriteTexts(temp.File("n.parquet"), new[] { "a", null, "c" }, 2);
        Assert.Equal(new[] { "a", "", "c" }, TextRecordReader.Read(temp.File("n.parquet")).ToArray());
    }

    [Fact]
    public void CorruptGzipCorpusNamesTheFileAndLine()
    {
        using var temp = TestPaths.NewTempFolder();
        var gz = temp.File("pool.txt.gz");
        var ms = new MemoryStream();
        using (var zip = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20000).Select(i => $"line {i} with some text {i * 7919 % 1000}\n"))));
        var bytes = ms.ToArray();
        // Damage the middle of the stream: the first lines decode, then the reader fails mid-file.
        for (var i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(gz, bytes);
        var e = Assert.Throws<DataException>(() => TextRecordReader.Read(gz).Count());
        Assert.Matches(@"pool\.txt\.gz:\d+: corrupt compressed data", e.Message);
        Assert.DoesNotContain("pool.txt.gz:1:", e.Message);
    }
}
