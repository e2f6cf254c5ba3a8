using System.IO.Compression;
using System.Text;
using System.Text.Unicode;
using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// Streams the lines of a UTF-8 text file (plain or gzip-compressed) with their line numbers, holding
/// at most one line in memory. Everything that makes a file unfit as text is a <see cref="DataException"/>
/// naming the file and line: a binary file (NUL byte or invalid UTF-8 in the first block), invalid
/// UTF-8 or a NUL later on, a line longer than the limit, a corrupt gzip stream.
/// </summary>
/// <remarks>
/// Lines end at <c>\n</c>; one trailing <c>\r</c> is dropped (CRLF files). A UTF-8 byte order mark
/// at the start is dropped. The limit counts UTF-16 characters of a line, and the reader stops as
/// soon as a line exceeds it, so a file that is one enormous line cannot exhaust memory.
/// </remarks>
public static class TextLineReader
{
    /// <summary>Default longest line accepted: 1 Mi characters (about 1 MB of ASCII text).</summary>
    public const int DefaultMaxLineChars = 1 << 20;

    /// <summary>How many leading bytes are checked for NUL bytes and invalid UTF-8 before any line is read.</summary>
    public const int SniffBytes = 8192;

    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// Lines of the file at <paramref name="path"/>; a gzip file (by its magic bytes) is decompressed
    /// on the fly. The file is opened when enumeration starts and closed when it ends.
    /// </summary>
    public static IEnumerable<TextLine> ReadLines(string path, int maxLineChars = DefaultMaxLineChars)
    {
        CheckLimit(maxLineChars);
        if (!File.Exists(path))
            throw new DataException(Directory.Exists(path) ? $"{path}: is a folder; expected a text file." : $"{path}: file not found.");
        return Iterate(path, maxLineChars);

        static IEnumerable<TextLine> Iterate(string path, int maxLineChars)
        {
            using var stream = OpenMaybeGzip(path);
            foreach (var line in ReadLines(stream, path, maxLineChars)) yield return line;
        }
    }

    /// <summary>Lines of an already opened stream (not disposed here); <paramref name="sourceName"/> appears in errors.</summary>
    public static IEnumerable<TextLine> ReadLines(Stream stream, string sourceName, int maxLineChars = DefaultMaxLineChars)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckLimit(maxLineChars);
        return Iterate(stream, sourceName, maxLineChars);
    }

    /// <summary>True when <paramref name="path"/> ends in <c>.gz</c> (case-insensitive).</summary>
    public static bool IsGzipName(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The file name without a trailing <c>.gz</c>, for deciding the format of what is inside.</summary>
    public static string NameWithoutGz(string path) => IsGzipName(path) ? path[..^3] : path;

    /// <summary>
    /// Opens a file for reading; gzip content (magic bytes 1F 8B) comes back decompressed. A file named
    /// <c>.gz</c> that is not gzip is an error, because its name promises something it is not.
    /// </summary>
    public static Stream OpenMaybeGzip(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            var n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            var gzip = n == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
            if (gzip) return new GZipStream(file, CompressionMode.Decompress, leaveOpen: false);
            if (IsGzipName(path))
                throw new DataException($"{path}: named .gz but is not gzip-compressed (first bytes are not 1F 8B).");
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static void CheckLimit(int maxLineChars)
    {
        if (maxLineChars < 1) throw new ArgumentOutOfRangeException(nameof(maxLineChars), maxLineChars, "The line length limit must be at least 1.");
    }

    private static IEnumerable<TextLine> Iterate(Stream stream, string source, int maxLineChars)
    {
        var bytes = new byte[ChunkBytes];
        // UTF-8 never decodes to more UTF-16 chars than it has bytes, so this buffer is always large enough.
        var chars = new char[ChunkBytes];
        var pending = new StringBuilder();
        var lineNumber = 1;
        var carried = 0;
        var first = true;
        var eof = false;
        while (!eof)
        {
            var read = first ? FillFirstBlock(stream, bytes, source) : Read(stream, bytes, carried, source, lineNumber);
            eof = read == 0;
            var available = carried + read;
            var status = Utf8.ToUtf16(bytes.AsSpan(0, available), chars, out var consumed, out var written,
                                      replaceInvalidSequences: false, isFinalBlock: eof);
            if (first) Sniff(bytes, available, status, consumed, source);

            var start = 0;
            if (first && written > 0 && chars[0] == '\uFEFF') start = 1;
            first = false;

            for (var i = start; i < written; i++)
            {
                var c = chars[i];
                if (c == '\n')
                {
                    Append(pending, chars, start, i - start, maxLineChars, source, lineNumber);
                    yield return new TextLine(lineNumber, Finish(pending));
                    pending.Clear();
                    lineNumber++;
                    start = i + 1;
                }
                else if (c == '\0')
                {
                    throw new DataException($"{source}:{lineNumber}: NUL character in the text (binary data?); expected UTF-8 text.");
                }
            }
            Append(pending, chars, start, written - start, maxLineChars, source, lineNumber);

            if (status == System.Buffers.OperationStatus.InvalidData)
                throw new DataException($"{source}:{lineNumber}: invalid UTF-8 (byte 0x{bytes[consumed]:X2}); expected UTF-8 text.");
            // An incomplete multi-byte sequence at the end of the chunk waits for the next read.
            carried = available - consumed;
            if (carried > 0) Buffer.BlockCopy(bytes, consumed, bytes, 0, carried);
        }
        if (pending.Length > 0) yield return new TextLine(lineNumber, Finish(pending));
    }

    /// <summary>The binary-file check on the first block: NUL bytes first (the classic sign), then invalid UTF-8.</summary>
    private static void Sniff(byte[] bytes, int available, System.Buffers.OperationStatus status, int consumed, string source)
    {
        var nul = Array.IndexOf(bytes, (byte)0, 0, Math.Min(available, SniffBytes));
        if (nul >= 0)
        {
            var utf16 = available >= 2 && (bytes[0] == 0xFF && bytes[1] == 0xFE || bytes[0] == 0xFE && bytes[1] == 0xFF);
            throw new DataException($"{source}: looks like a binary file: NUL byte at offset {nul} in the first {SniffBytes} bytes; expected UTF-8 text." +
                                    (utf16 ? " It starts with a UTF-16 byte order mark; convert it to UTF-8." : ""));
        }
        if (status == System.Buffers.OperationStatus.InvalidData && consumed < SniffBytes)
            throw new DataException($"{source}: not UTF-8 text: invalid byte 0x{bytes[consumed]:X2} at offset {consumed} in the first {SniffBytes} bytes (a binary file?).");
    }

    /// <summary>Reads until the sniff block is full or the stream ends (decompressors return short reads).</summary>
    private static int FillFirstBlock(Stream stream, byte[] bytes, string source)
    {
        var total = 0;
        while (total < SniffBytes)
        {
            var n = Read(stream, bytes, total, source, 1);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static int Read(Stream stream, byte[] bytes, int offset, string source, int lineNumber)
    {
        try { return stream.Read(bytes, offset, bytes.Length - offset); }
        catch (InvalidDataException e)
        {
            throw new DataException($"{source}:{lineNumber}: corrupt compressed data ({e.Message}).", e);
        }
    }

    private static void Append(StringBuilder pending, char[] chars, int start, int count, int maxLineChars, string source, int lineNumber)
    {
        if (pending.Length + count > maxLineChars)
            throw new DataException($"{source}:{lineNumber}: line longer than {maxLineChars:N0} characters; expected lines up to the limit " +
                                    "(split the text, or raise the line length limit).");
        pending.Append(chars, start, count);
    }

    private static string Finish(StringBuilder pending)
    {
        var length = pending.Length;
        if (length > 0 && pending[length - 1] == '\r') length--;
        return pending.ToString(0, length);
    }
}
