using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Corpora;

public sealed class CorpusReaderTests
{
    private static void Write(TempFolder temp, string relative, string text)
    {
        var path = Path.Combine(temp.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void FolderIsReadRecursivelyInOrdinalOrderSkippingHiddenFiles()
    {
        using var temp = TestPaths.NewTempFolder();
        Write(temp, "b.txt", "b1\n");
        Write(temp, "a/z.txt", "az1\n\naz3\n");
        Write(temp, "B.txt", "B1\n");
        Write(temp, ".hidden/x.txt", "hidden\n");
        Write(temp, ".notes.txt", "hidden\n");
        var docs = new CorpusReader(temp.Path).Documents().ToList();
        Assert.Equal(new[] { "B.txt:1", "a/z.txt:1", "a/z.txt:3", "b.txt:1" }, docs.Select(d => d.Id));
        Assert.Equal(new[] { "B1", "az1", "az3", "b1" }, docs.Select(d => d.Text));
        Assert.Equal(3, docs[2].LineNumber);
        Assert.EndsWith(Path.Combine("a", "z.txt"), docs[2].SourceFile);
    }

    [Fact]
    public void BlankLineAndFileModesCutDocumentsDifferently()
    {
        using var temp = TestPaths.NewTempFolder();
        Write(temp, "doc.txt", "\n\npara one\nstill one  \n\n\npara two\n\n");
        var blocks = new CorpusReader(temp.File("doc.txt"), new CorpusOptions { Mode = DocumentMode.BlankLine }).Documents().ToList();
        Assert.Equal(new[] { ("doc.txt:3", "para one\nstill one"), ("doc.txt:7", "para two") }, blocks.Select(d => (d.Id, d.Text)));

        var whole = Assert.Single(new CorpusReader(temp.File("doc.txt"), new CorpusOptions { Mode = DocumentMode.File }).Documents());
        Assert.Equal("doc.txt", whole.Id);
        Assert.Equal("para one\nstill one\n\n\npara two", whole.Text);
        Assert.Equal(3, whole.LineNumber);
    }

    [Fact]
    public void JsonlTakesTheTextFieldAndOptionalIdAlsoFromGzip()
    {
        using var temp = TestPaths.NewTempFolder();
        var jsonl = "{\"id\": 7, \"body\": \"first doc\"}\n\n{\"id\": \"x\", \"body\": \"second\"}\n";
        using (var file = File.Create(temp.File("part.jsonl.gz")))
        using (var zip = new GZipStream(file, CompressionLevel.Fastest))
            zip.Write(Encoding.UTF8.GetBytes(jsonl));
        var docs = new CorpusReader(temp.Path, new CorpusOptions { TextField = "body", IdField = "id" }).Documents().ToList();
        Assert.Equal(new[] { ("7", "first doc", 1), ("x", "second", 3) }, docs.Select(d => (d.Id, d.Text, d.LineNumber)));

        var byLine = new CorpusReader(temp.Path, new CorpusOptions { TextField = "body" }).Documents().Select(d => d.Id);
        Assert.Equal(new[] { "part.jsonl.gz:1", "part.jsonl.gz:3" }, byLine);
    }

    [Fact]
    public void MalformedJsonlLineIsNamed()
    {
        using var temp = TestPaths.NewTempFolder();
        Write(temp, "c.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"cut off\n");
        var e = Assert.Throws<DataException>(() => new CorpusReader(temp.File("c.jsonl")).Documents().ToList());
        Assert.Contains("c.jsonl:2:", e.Message);
        Assert.Contains("malformed JSON", e.Message);
    }

    [Fact]
    public void MissingTextFieldNamesTheFieldsFound()
    {
        using var temp = TestPaths.NewTempFolder();
        Write(temp, "c.jsonl", "{\"text\": \"ok\"}\n{\"content\": \"x\", \"lang\": \"en\"}\n");
        var e = Assert.Throws<DataException>(() => new CorpusReader(temp.File("c.jsonl")).Documents().ToList());
        Assert.Contains("c.jsonl:2:", e.Message);
        Assert.Contains("missing field 'text'", e.Message);
        Assert.Contains("'content', 'lang'", e.Message);
    }

    [Fact]
    public void NonStringTextAndNonObjectLinesAreErrors()
    {
        using var temp = TestPaths.NewTempFolder();
        Write(temp, "n.jsonl", "{\"text\": 5}\n");
        Write(temp, "a.jsonl", "[\"text\"]\n");
        Assert.Contains("expected a string", Assert.Throws<DataException>(() => new CorpusReader(temp.File("n.jsonl")).Documents().ToList()).Message);
        Assert.Contains("found a JSON array", Assert.Throws<DataException>(() => new CorpusReader(temp.File("a.jsonl")).Documents().ToList()).Message);
    }

    [Fact]
    public void EmptyCorporaAreErrors()
    {
        using var temp = TestPaths.NewTempFolder();
        Assert.Contains("no files", Assert.Throws<DataException>(() => new CorpusReader(temp.Path).Documents().ToList()).Message);
        Write(temp, "blank.txt", "\n   \n\t\n");
        Write(temp, "empty.txt", "");
        var e = Assert.Throws<DataException>(() => new CorpusReader(temp.Path).Documents().ToList());
        Assert.Contains("empty corpus", e.Message);
        Assert.Contains(temp.Path, e.Message);
        Assert.Contains("not found", Assert.Throws<DataException>(() => new CorpusReader(temp.File("missing"))).Message);
    }

    [Fact]
    public void BinaryFileInAFolderIsNamed()
    {
        using var temp = TestPaths.NewTempFolder();
        Write(temp, "a.txt", "fine\n");
        File.WriteAllBytes(temp.File("b.bin"), new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0 });
        var e = Assert.Throws<DataException>(() => new CorpusReader(temp.Path).Documents().ToList());
        Assert.Contains("b.bin", e.Message);
        Assert.Contains("binary", e.Message);
    }

    [Fact]
    public void LineOverTheConfiguredLimitIsNamed()
    {
        using var temp = TestPaths.NewTempFolder();
        Write(temp, "c.txt", "ok\n" + new string('w', 300) + "\n");
        var e = Assert.Throws<DataException>(() => new CorpusReader(temp.Path, new CorpusOptions { MaxLineChars = 256 }).Documents().ToList());
        Assert.Contains("c.txt:2:", e.Message);
        Assert.Contains("longer than 256", e.Message);
    }

    [Fact]
    public void OptionsAreValidatedWhenBuilt()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusOptions { MaxLineChars = 0 });
        Assert.Throws<ArgumentException>(() => new CorpusOptions { TextField = "" });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusOptions { Mode = (DocumentMode)42 });
    }

    [Fact]
    public void DocumentsAlreadyYieldedAreNotKeptAlive()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("big.txt"), Enumerable.Range(0, 5000).Select(i => $"document number {i} with some words"));
        using var documents = new CorpusReader(temp.Path).Documents().GetEnumerator();
        var first = TakeWeak(documents);
        for (var i = 0; i < 4000; i++) Assert.True(documents.MoveNext());
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(first.TryGetTarget(out _), "the reader still references the first document");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<CorpusDocument> TakeWeak(IEnumerator<CorpusDocument> documents)
    {
        Assert.True(documents.MoveNext());
        return new WeakReference<CorpusDocument>(documents.Current);
    }
}
