using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Acclimate.Errors;

namespace Acclimate.IO;

/// <summary>
/// A float32 matrix on disk in NumPy's <c>.npy</c> format (little-endian <c>&lt;f4</c>, C order,
/// shape (rows, columns)), written and read block by block so that a matrix far larger than memory
/// (a million pool embeddings) streams through a fixed buffer. NumPy loads the files as they are
/// (<c>numpy.load(path, mmap_mode="r")</c>).
/// </summary>
public static partial class NpyMatrixFile
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    /// <summary>
    /// Starts a file of <paramref name="rows"/> × <paramref name="columns"/> under a temporary name;
    /// rows are appended in order and the file appears at <paramref name="path"/> only when
    /// <see cref="Writer.Commit"/> has seen every row.
    /// </summary>
    public static Writer Create(string path, long rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException(".npy files are written little-endian; this machine is big-endian.");
        var pending = AtomicFile.Begin(path);
        try
        {
            var dictionary = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
            // Version 1.0: magic, 2 version bytes, a 2-byte header length, then the header padded
            // with spaces and ended by a newline so that the data starts on a 64-byte boundary.
            var unpadded = Magic.Length + 2 + 2 + dictionary.Length + 1;
            var padding = (64 - unpadded % 64) % 64;
            var header = dictionary + new string(' ', padding) + "\n";
            pending.Stream.Write(Magic);
            pending.Stream.Write(new byte[] { 1, 0 });
            Span<byte> length = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)header.Length));
            pending.Stream.Write(length);
            pending.Stream.Write(Encoding.ASCII.GetBytes(header));
            return new Writer(path, pending, rows, columns);
        }
        catch
        {
            pending.Dispose();
            throw;
        }
    }

    /// <summary>Opens a float32 two-dimensional <c>.npy</c> file; a clear error names the file when it is anything else.</summary>
    public static Reader Open(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: .npy file not found.");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        try
        {
            var prefix = new byte[Magic.Length + 2];
            if (stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false) < prefix.Length || !prefix.AsSpan(0, Magic.Length).SequenceEqual(Magic))
                throw new DataException($"{path}: not a .npy file (no \\x93NUMPY magic at its start).");
            var major = prefix[Magic.Length];
            var lengthBytes = new byte[major == 1 ? 2 : 4];
            if (major is not (1 or 2 or 3) || stream.ReadAtLeast(lengthBytes, lengthBytes.Length, throwOnEndOfStream: false) < lengthBytes.Length)
                throw new DataException($"{path}: .npy format version {major}.{prefix[Magic.Length + 1]} is not one this reader knows (1.0, 2.0, 3.0).");
            var headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : (int)BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
            var headerBytes = new byte[headerLength];
            if (stream.ReadAtLeast(headerBytes, headerLength, throwOnEndOfStream: false) < headerLength)
                throw new DataException($"{path}: the .npy header is cut short ({headerLength} bytes announced).");
            var header = Encoding.UTF8.GetString(headerBytes);
            var descr = DescrPattern().Match(header);
            if (!descr.Success || descr.Groups[1].Value != "<f4")
                throw new DataException($"{path}: expected float32 little-endian data ('descr': '<f4'), found {(descr.Success ? $"'{descr.Groups[1].Value}'" : "no descr")}.");
            if (!FortranPattern().IsMatch(header))
                throw new DataException($"{path}: expected C-ordered data ('fortran_order': False).");
            var shape = ShapePattern().Match(header);
            if (!shape.Success)
                throw new DataException($"{path}: expected a two-dimensional shape (rows, columns) in the header, found: {header.Trim()}");
            var rows = long.Parse(shape.Groups[1].Value, CultureInfo.InvariantCulture);
            var columns = int.Parse(shape.Groups[2].Value, CultureInfo.InvariantCulture);
            if (columns < 1) throw new DataException($"{path}: a matrix of {columns} columns holds no values per row.");
            var expected = stream.Position + rows * columns * sizeof(float);
            if (stream.Length != expected)
                throw new DataException($"{path}: {stream.Length:N0} bytes, but a ({rows}, {columns}) float32 matrix after its header needs {expected:N0}: the file is cut short or not what its header says.");
            return new Reader(path, stream, rows, columns);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*False")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(\s*(\d+)\s*,\s*(\d+)\s*,?\s*\)")]
    private static partial Regex ShapePattern();

    /// <summary>Appends rows to a file started by <see cref="Create"/>.</summary>
    public sealed class Writer : IDisposable
    {
        private readonly string _path;
        private readonly AtomicFile.PendingFile _pending;
        private long _written;

        internal Writer(string path, AtomicFile.PendingFile pending, long rows, int columns)
        {
            _path = path;
            _pending = pending;
            Rows = rows;
            Columns = columns;
        }

        /// <summary>Rows the header declares.</summary>
        public long Rows { get; }

        /// <summary>Floats per row.</summary>
        public int Columns { get; }

        /// <summary>Appends whole rows, row after row (<paramref name="values"/>.Length a multiple of <see cref="Columns"/>).</summary>
        public void Append(ReadOnlySpan<float> values)
        {
            if (values.Length % Columns != 0)
                throw new ArgumentException($"{_path}: {values.Length} values are not whole rows of {Columns}.", nameof(values));
            var rows = values.Length / Columns;
            if (_written + rows > Rows)
                throw new InvalidOperationException($"{_path}: {_written + rows:N0} rows written to a matrix declared with {Rows:N0}.");
            _pending.Stream.Write(MemoryMarshal.AsBytes(values));
            _written += rows;
        }

        /// <summary>Publishes the file; every declared row must have been written.</summary>
        public void Commit()
        {
            if (_written != Rows)
                throw new InvalidOperationException($"{_path}: {_written:N0} of {Rows:N0} rows written; the file was not published.");
            _pending.Commit();
        }

        /// <summary>Without <see cref="Commit"/>, deletes the partial file.</summary>
        public void Dispose() => _pending.Dispose();
    }

    /// <summary>Reads a matrix opened by <see cref="Open"/> in blocks of rows.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly string _path;
        private readonly FileStream _stream;
        private readonly long _dataStart;

        internal Reader(string path, FileStream stream, long rows, int columns)
        {
            _path = path;
            _stream = stream;
            _dataStart = stream.Position;
            Rows = rows;
            Columns = columns;
        }

        /// <summary>Rows in the file.</summary>
        public long Rows { get; }

        /// <summary>Floats per row.</summary>
        public int Columns { get; }

        /// <summary>
        /// Every row, front to back, in blocks of at most <paramref name="blockRows"/> rows: each
        /// block's values row after row. A block's array is only valid until the next one is read
        /// (one buffer is reused so that memory stays at one block).
        /// </summary>
        public IEnumerable<(float[] Values, int Rows)> Blocks(int blockRows)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
            _stream.Position = _dataStart;
            var buffer = new float[(long)Math.Min(blockRows, Math.Max(Rows, 1)) * Columns];
            for (long start = 0; start < Rows; start += blockRows)
            {
                var rows = (int)Math.Min(blockRows, Rows - start);
                var bytes = MemoryMarshal.AsBytes(buffer.AsSpan(0, rows * Columns));
                if (_stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
                    throw new DataException($"{_path}: ended inside row block {start:N0}…{start + rows - 1:N0}.");
                yield return (buffer, rows);
            }
        }

        /// <summary>Closes the file.</summary>
        public void Dispose() => _stream.Dispose();
    }
}
