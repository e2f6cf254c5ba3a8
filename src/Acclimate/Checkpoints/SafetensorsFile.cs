using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using Acclimate.Runtime;
using TorchSharp;
using Acclimate.IO;

namespace Acclimate.Checkpoints;

/// <summary>
/// A safetensors file opened for reading. <see cref="Open"/> reads and validates only the header;
/// the data section is memory-mapped, so opening a 1 GB checkpoint costs the header's size in RAM,
/// and <see cref="ReadTensor(string)"/> copies just the bytes of the one tensor asked for (the page
/// cache brings in those pages only).
/// </summary>
/// <remarks>
/// Validation follows the reference implementation (huggingface/safetensors): header length at
/// most 100 MB, UTF-8 JSON object, known dtypes, offsets whose length matches dtype and shape,
/// and tensors that tile the data section exactly, with no hole, overlap or trailing byte. Every
/// failure is a <see cref="Acclimate.Errors.CheckpointException"/> naming the file and tensor.
/// Concurrent <see cref="ReadTensor(string)"/> calls are safe. The mapping sees the file as it is on
/// disk, so replace checkpoints with <see cref="AtomicFile"/> (rename), never by rewriting in place.
/// Memory: the tensors read are the only private memory used. Pages of the mapping that a read
/// touched show up in the process RSS as file-backed memory (RssFile on Linux) until
/// <see cref="Dispose"/>; they are page cache the kernel can drop, not a second copy. Measured on a
/// 1 GiB file: open +8 MB; all eight 128 MB tensors read: RssAnon +1.15 GB, RssFile +1.03 GB, and
/// RssFile back to its baseline after Dispose.
/// </remarks>
internal sealed class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _tensors;
    private volatile bool _disposed;

    private SafetensorsFile(string path, SafetensorsHeader header, long dataStart, MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        Path = path;
        Metadata = header.Metadata;
        _tensors = header.TensorsByOffset.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _dataStart = dataStart;
        _map = map;
        _view = view;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>The header's "__metadata__" map (empty when absent), e.g. {"format": "pt"}.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor's header entry, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors => _tensors;

    /// <summary>True when the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>
    /// Opens <paramref name="path"/>, reads and validates the header, and maps the data section.
    /// Throws <see cref="Acclimate.Errors.CheckpointException"/> for a missing, unreadable or malformed file.
    /// </summary>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        // Tensor bytes are copied verbatim and the format is little-endian.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors reading needs a little-endian machine.");

        FileStream stream;
        try
        {
            // Delete sharing lets an atomic writer rename a new checkpoint over this one while it is open.
            stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw SafetensorsErrors.InFile(fullPath, "the file does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SafetensorsErrors.InFile(fullPath, $"the file cannot be opened ({e.Message}).", e);
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            var fileLength = stream.Length;
            if (fileLength < 8)
                throw SafetensorsErrors.InFile(fullPath, $"the file has {fileLength} bytes; expected at least 8 (the header length), so it is truncated or not a safetensors file.");

            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw SafetensorsErrors.InFile(fullPath, $"the header length field says {headerLength} bytes; expected at most {SafetensorsHeader.MaxHeaderBytes} (corrupt file or not safetensors).");
            if ((long)headerLength > fileLength - 8)
                throw SafetensorsErrors.InFile(fullPath, $"the header length field says {headerLength} bytes but only {fileLength - 8} bytes follow it; the file is truncated or not safetensors.");

            var headerBytes = new byte[headerLength];
            stream.ReadExactly(headerBytes);
            var dataStart = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(fullPath, headerBytes, fileLength - dataStart);

            if (fileLength > dataStart)
            {
                map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
            }
            else
            {
                // Nothing to map (no tensor has any bytes); the stream has served its purpose.
                stream.Dispose();
            }
            return new SafetensorsFile(fullPath, header, dataStart, map, view);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw SafetensorsErrors.InFile(fullPath, $"the file cannot be read ({e.Message}).", e);
        }
        catch
        {
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads one tensor into a new CPU tensor that owns its memory, in the file's dtype. Only this
    /// tensor's bytes are copied. The caller owns (and disposes) the result.
    /// </summary>
    public torch.Tensor ReadTensor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);

        if (!_tensors.TryGetValue(name, out var info))
            throw SafetensorsErrors.InTensor(Path, name, $"no tensor of that name; the file has {_tensors.Count} tensors.");
        var scalarType = info.DType.ToScalarType()
            ?? throw SafetensorsErrors.InTensor(Path, name, $"dtype {info.DType.FormatName()} has no TorchSharp equivalent; readable dtypes are {SafetensorsDTypes.ReadableNames}.");

        TorchRuntime.EnsureInitialized();
        if (info.ByteLength == 0)
            return torch.empty(info.Shape, scalarType, torch.CPU);

        var handle = _view!.SafeMemoryMappedViewHandle;
        unsafe
        {
            byte* mapped = null;
            // Acquire/release per read (not once per file) so an undisposed SafetensorsFile never
            // pins the mapping past its finalizer, and a concurrent Dispose cannot unmap mid-copy.
            handle.AcquirePointer(ref mapped);
            try
            {
                var source = mapped + _view.PointerOffset + _dataStart + info.DataBegin;
                if (info.DType == SafetensorsDType.Bool) CheckBoolBytes(info, source);

                var tensor = torch.empty(info.Shape, scalarType, torch.CPU);
                try
                {
                    SafetensorsTensorBytes.CopyInto(tensor, source, info.ByteLength);
                }
                catch
                {
                    tensor.Dispose();
                    throw;
                }
                return tensor;
            }
            finally
            {
                handle.ReleasePointer();
            }
        }
    }

    /// <summary>
    /// Reads one tensor and converts it to <paramref name="asType"/> (no copy beyond the read when
    /// the file already has that type). The caller owns the result.
    /// </summary>
    public torch.Tensor ReadTensor(string name, torch.ScalarType asType)
    {
        var tensor = ReadTensor(name);
        if (tensor.dtype == asType) return tensor;
        using (tensor)
        {
            return tensor.to_type(asType);
        }
    }

    /// <summary>Unmaps the file. Tensors already read stay valid: they own copies.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view?.Dispose();
        _map?.Dispose();
    }

    /// <summary>
    /// torch stores bool as one byte and assumes it is 0 or 1; other values give inconsistent
    /// results, so they are refused before reaching torch.
    /// </summary>
    private unsafe void CheckBoolBytes(SafetensorsTensorInfo info, byte* source)
    {
        for (long offset = 0; offset < info.ByteLength; offset += SafetensorsTensorBytes.ChunkBytes)
        {
            var length = (int)Math.Min(SafetensorsTensorBytes.ChunkBytes, info.ByteLength - offset);
            var bad = new ReadOnlySpan<byte>(source + offset, length).IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0)
            {
                throw SafetensorsErrors.InTensor(Path, info.Name,
                    $"BOOL element {offset + bad} is byte {source[offset + bad]}; expected 0 or 1.");
            }
        }
    }
}
