using System.IO.Compression;
using System.Text;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Corpora;

public sealed class TextLineReaderTests
{
    private static List<TextLine> Lines(byte[] bytes, int max = TextLineReader.DefaultMaxLineChars) =>
        TextLineReader.ReadLines(new MemoryStream(bytes), "mem.txt", max).ToList();

    [Fact]
    public void NumbersLinesDropsCrAndBomAndKeepsALastLineWithoutNewline()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("first\r\n\r\nthird\nlast")).ToArray();
        var lines = Lines(bytes);
        Assert.Equal(new[] { new TextLine(1, "first"), new TextLine(2, ""), new TextLine(3, "third"), new TextLine(4, "last") }, lines);
    }

    [Fact]
    public void MultiByteCharactersSurviveReadsThatSplitThem()
    {
        // One byte per Read: every multi-byte character arrives in pieces and must be carried over.
        var text = "科技 é 😀\n北京\n";
        var lines = TextLineReader.ReadLines(new TrickleStream(Encoding.UTF8.GetBytes(text)), "trickle").ToList();
        Assert.Equal(new[] { "科技 é 😀", "北京" }, lines.Select(l => l.Text));
    }

    [Fact]
    public void AnEndlessLineFailsAtTheLimitInsteadOfFillingMemory()
    {
        var e = Assert.Throws<DataException>(() => TextLineReader.ReadLines(new EndlessLetters(), "endless.txt", 100_000).ToList());
        Assert.Contains("endless.txt:1:", e.Message);
        Assert.Contains("longer than 100,000 characters", e.Message);
    }

    [Fact]
    public void TheLongLineIsNamedByItsNumber()
    {
        var text = "short\nshort\n" + new string('x', 50) + "\nshort\n";
        var e = Assert.Throws<DataException>(() => Lines(Encoding.UTF8.GetBytes(text), max: 49));
        Assert.Contains("mem.txt:3:", e.Message);
        Assert.Equal(3, Lines(Encoding.UTF8.GetBytes(text), max: 50).Count(l => l.Text == "short"));
    }

    [Fact]
    public void NulByteInTheFirstBlockIsABinaryFile()
    {
        var bytes = Encoding.UTF8.GetBytes("PK\u0003\u0004").Concat(new byte[] { 0, 0, 1, 2 }).ToArray();
        var e = Assert.Throws<DataException>(() => Lines(bytes));
        Assert.Contains("binary", e.Message);
        Assert.Contains("offset 4", e.Message);
    }

    [Fact]
    public void Utf16FileIsRefusedWithAHint()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("hello\n")).ToArray();
        var e = Assert.Throws<DataException>(() => Lines(bytes));
        Assert.Contains("UTF-16", e.Message);
    }

    [Fact]
    public void InvalidUtf8InTheFirstBlockIsNotText()
    {
        var bytes = new byte[] { (byte)'a', 0xC3, 0x28, (byte)'\n' };
        var e = Assert.Throws<DataException>(() => Lines(bytes));
        Assert.Contains("not UTF-8", e.Message);
        Assert.Contains("0xC3", e.Message);
    }

    [Fact]
    public void InvalidUtf8LaterIsNamedByLine()
    {
        var good = string.Concat(Enumerable.Range(1, 2000).Select(i => $"line {i}\n"));
        var bytes = Encoding.UTF8.GetBytes(good).Concat(new byte[] { (byte)'o', (byte)'k', 0xFF, (byte)'\n' }).ToArray();
        Assert.True(bytes.Length > TextLineReader.SniffBytes);
        var e = Assert.Throws<DataException>(() => Lines(bytes));
        Assert.Contains("mem.txt:2001:", e.Message);
        Assert.Contains("invalid UTF-8", e.Message);
    }

    [Fact]
    public void NulCharacterLaterIsNamedByLine()
    {
        var good = string.Concat(Enumerable.Range(1, 2000).Select(i => $"line {i}\n"));
        var e = Assert.Throws<DataException>(() => Lines(Encoding.UTF8.GetBytes(good + "a\0b\n")));
        Assert.Contains("mem.txt:2001:", e.Message);
        Assert.Contains("NUL", e.Message);
    }

    [Fact]
    public void GzipIsDecompressedByMagicAndAFakeGzIsRefused()
    {
        using var temp = TestPaths.NewTempFolder();
        var gz = temp.File("corpus.txt.gz");
        using (var file = File.Create(gz))
        using (var zip = new GZipStream(file, CompressionLevel.Fastest))
            zip.Write(Encoding.UTF8.GetBytes("alpha\nbeta\n"));
        Assert.Equal(new[] { "alpha", "beta" }, TextLineReader.ReadLines(gz).Select(l => l.Text));

        var fake = temp.File("plain.txt.gz");
        File.WriteAllText(fake, "not compressed\n");
        var e = Assert.Throws<DataException>(() => TextLineReader.ReadLines(fake).ToList());
        Assert.Contains("plain.txt.gz", e.Message);
        Assert.Contains("not gzip", e.Message);
    }

    [Fact]
    public void CorruptGzipIsADataError()
    {
        using var temp = TestPaths.NewTempFolder();
        var gz = temp.File("broken.gz");
        var ms = new MemoryStream();
        using (var zip = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("some text to compress\n", 200))));
        var bytes = ms.ToArray();
        for (var i = 12; i < bytes.Length - 8; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(gz, bytes);
        var e = Assert.Throws<DataException>(() => TextLineReader.ReadLines(gz).ToList());
        Assert.Contains("broken.gz", e.Message);
    }

    [Fact]
    public void MissingFileAndFolderAreNamed()
    {
        using var temp = TestPaths.NewTempFolder();
        Assert.Contains("file not found", Assert.Throws<DataException>(() => TextLineReader.ReadLines(temp.File("nope.txt"))).Message);
        Assert.Contains("is a folder", Assert.Throws<DataException>(() => TextLineReader.ReadLines(temp.Path)).Message);
    }

    /// <summary>Hands out its bytes one at a time, as a slow pipe or decompressor may.</summary>
    private sealed class TrickleStream(byte[] bytes) : Stream
    {
        private int _position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= bytes.Length || count == 0) return 0;
            buffer[offset] = bytes[_position++];
            return 1;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>An endless stream of 'a' with no line break: only a line limit can stop a reader.</summary>
    private sealed class EndlessLetters : Stream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)'a');
            return count;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
