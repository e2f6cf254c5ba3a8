using System.IO.Compression;
using System.Text;
using Acclimate.Errors;
using Acclimate.Runtime;
using TorchSharp;

namespace Acclimate.Checkpoints.PytorchBin;

/// <summary>
/// A <c>torch.save</c> state dict (<c>pytorch_model.bin</c> or one shard) opened for reading, without
/// executing it: the zip archive's <c>&lt;top&gt;/data.pkl</c> is interpreted by
/// <see cref="RestrictedUnpickler"/> (allow-list only), and each tensor is a strided view of one
/// storage entry <c>&lt;top&gt;/data/&lt;key&gt;</c>. <see cref="Open"/> reads the pickle and checks every
/// view against its storage; <see cref="ReadTensor"/> reads one storage and copies the view out
/// (contiguous, owning its memory). torch &lt; 1.6's non-zip format is refused.
/// </summary>
internal sealed class PytorchBinFile : IDisposable
{
    /// <summary>data.pkl of a BERT-large state dict is ~40 KB; anything this large is not a state dict.</summary>
    private const long MaxPickleBytes = 64L << 20;

    private readonly FileStream _stream;
    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly Dictionary<string, PickleTensor> _tensors;
    private readonly object _lock = new();

    private PytorchBinFile(string path, FileStream stream, ZipArchive zip, string prefix, Dictionary<string, PickleTensor> tensors)
    {
        Path = path;
        _stream = stream;
        _zip = zip;
        _prefix = prefix;
        _tensors = tensors;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>The state dict's keys, in file order.</summary>
    public IReadOnlyCollection<string> Keys => _tensors.Keys;

    /// <summary>The shape of tensor <paramref name="key"/>.</summary>
    public long[] Shape(string key) => (long[])Tensor(key).Size.Clone();

    /// <summary>The element type of tensor <paramref name="key"/> as stored.</summary>
    public torch.ScalarType DType(string key) => Tensor(key).Storage.Type.StorageDType;

    private static CheckpointException InFile(string path, string detail, Exception? inner = null) =>
        inner is null ? new($"PyTorch file '{path}': {detail}") : new($"PyTorch file '{path}': {detail}", inner);

    private static CheckpointException InTensor(string path, string key, string detail) =>
        new($"PyTorch file '{path}', tensor '{key}': {detail}");

    /// <summary>Opens <paramref name="path"/>, interprets its pickle (allow-list only) and checks every tensor against its storage.</summary>
    public static PytorchBinFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("PyTorch checkpoint reading needs a little-endian machine.");
        FileStream stream;
        try
        {
            stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw InFile(fullPath, "the file does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InFile(fullPath, $"the file cannot be opened ({e.Message}).", e);
        }

        ZipArchive? zip = null;
        try
        {
            Span<byte> magic = stackalloc byte[2];
            var got = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            if (got < 2 || magic[0] != (byte)'P' || magic[1] != (byte)'K')
                throw InFile(fullPath, got >= 1 && magic[0] == 0x80
                    ? "this is torch < 1.6's legacy (non-zip) format, which is not read. Re-save it with torch >= 1.6 " +
                      "(torch.save(state_dict, path)) on a machine you trust, or convert it to safetensors there."
                    : "not a PyTorch zip checkpoint (expected a zip archive written by torch.save, torch >= 1.6).");
            stream.Position = 0;
            try
            {
                zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            }
            catch (InvalidDataException e)
            {
                throw InFile(fullPath, $"the zip archive is unreadable ({e.Message}); the file is truncated or corrupt.", e);
            }

            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
            if (pickles.Count != 1)
                throw InFile(fullPath, $"found {pickles.Count} '<folder>/data.pkl' entries; expected exactly one (torch.save's zip layout).");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            CheckByteOrder(fullPath, zip, prefix);
            var pickle = ReadEntry(fullPath, pickles[0], MaxPickleBytes);

            var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
                if (!entries.TryAdd(entry.FullName, entry))
                    throw InFile(fullPath, $"the archive holds '{entry.FullName}' twice; expected unique entry names.");
            var storages = new Dictionary<string, PickleStorage>(StringComparer.Ordinal);
            var fileLength = stream.Length;
            var root = RestrictedUnpickler.Load(pickle, fullPath, (pid, at) => LoadStorage(fullPath, fileLength, prefix, entries, storages, pid, at));
            var tensors = CollectTensors(fullPath, root);
            return new PytorchBinFile(fullPath, stream, zip, prefix, tensors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            zip?.Dispose();
            stream.Dispose();
            throw InFile(fullPath, $"the file cannot be read ({e.Message}); it is truncated or corrupt.", e);
        }
        catch
        {
            zip?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    private static void CheckByteOrder(string path, ZipArchive zip, string prefix)
    {
        var entry = zip.GetEntry(prefix + "byteorder");
        if (entry is null) return;   // torch < 2.1 writes none: little-endian
        var text = Encoding.ASCII.GetString(ReadEntry(path, entry, 64)).Trim();
        if (text != "little")
            throw InFile(path, $"{entry.FullName} says '{text}'; only little-endian checkpoints are read.");
    }

    private static byte[] ReadEntry(string path, ZipArchiveEntry entry, long maxBytes)
    {
        if (entry.Length > maxBytes)
            throw InFile(path, $"{entry.FullName} is {entry.Length} bytes; expected at most {maxBytes}.");
        var bytes = new byte[entry.Length];
        using var s = entry.Open();
        s.ReadExactly(bytes);
        return bytes;
    }

    private static object LoadStorage(string path, long fileLength, string prefix, Dictionary<string, ZipArchiveEntry> entries,
                                      Dictionary<string, PickleStorage> storages, PickleTuple pid, long at)
    {
        var items = pid.Items;
        if (items.Length != 5 || items[0] is not "storage" || items[1] is not PickleGlobal { Kind: PickleGlobalKind.StorageType } type
            || items[2] is not string key || items[3] is not string location || items[4] is not long count)
            throw InFile(path, $"pickle byte {at}: a persistent id is not ('storage', torch.<Type>Storage, key, location, size).");
        if (count < 0) throw InFile(path, $"pickle byte {at}: storage '{key}' has {count} elements; expected a non-negative count.");
        if (storages.TryGetValue(key, out var known))
        {
            if (known.Type != type || known.ElementCount != count)
                throw InFile(path, $"storage '{key}' is described twice differently ({known.Type.Name}[{known.ElementCount}] and {type.Name}[{count}]).");
            return known;
        }
        var name = prefix + "data/" + key;
        if (!entries.TryGetValue(name, out var entry))
            throw InFile(path, $"pickle byte {at}: storage '{key}' ({type.Name}) is not in the archive (no entry '{name}'); the file is incomplete or corrupt.");
        long bytes;
        try { bytes = checked(count * type.ElementSize); }
        catch (OverflowException) { throw InFile(path, $"storage '{key}' claims {count} elements, more than a file can hold."); }
        if (entry.Length != bytes)
            throw InFile(path, $"storage '{key}' ({type.Name}) should hold {count} elements = {bytes} bytes but '{name}' has {entry.Length} bytes.");
        // torch.save stores storages uncompressed; requiring that bounds every allocation by the file's size.
        if (entry.CompressedLength != entry.Length || entry.Length > fileLength)
            throw InFile(path, $"storage entry '{name}' is compressed or larger than the file ({entry.CompressedLength} of {entry.Length} bytes in a " +
                               $"{fileLength}-byte file); expected an uncompressed entry as torch.save writes it.");
        var storage = new PickleStorage(key, type, location, count);
        storages[key] = storage;
        return storage;
    }

    private static Dictionary<string, PickleTensor> CollectTensors(string path, object? root)
    {
        if (root is not PickleDict dict)
            throw InFile(path, "the pickle holds no dict; expected a state dict (tensor name → tensor).");
        var tensors = new Dictionary<string, PickleTensor>(StringComparer.Ordinal);
        foreach (var (keyValue, value) in dict.Items)
        {
            if (keyValue is not string key)
                throw InFile(path, "a state-dict key is not a string; expected tensor names.");
            if (value is not PickleTensor tensor)
                throw InTensor(path, key, "the value is not a tensor; expected a flat state dict of tensors (a HF pytorch_model.bin).");
            CheckView(path, key, tensor);
            tensors[key] = tensor;
        }
        return tensors;
    }

    /// <summary>Every element the view can address must lie inside the storage; strides and sizes are non-negative.</summary>
    private static void CheckView(string path, string key, PickleTensor t)
    {
        var view = $"size [{string.Join(", ", t.Size)}], stride [{string.Join(", ", t.Stride)}], offset {t.Offset}";
        if (t.Offset < 0 || t.Size.Any(s => s < 0) || t.Stride.Any(s => s < 0))
            throw InTensor(path, key, $"view {view} has a negative number; expected non-negative sizes, strides and offset.");
        try
        {
            long count = 1, last = t.Offset;
            for (var d = 0; d < t.Size.Length; d++)
            {
                count = checked(count * t.Size[d]);
                if (t.Size[d] > 0) last = checked(last + (t.Size[d] - 1) * t.Stride[d]);
            }
            if (count > 0 && last >= t.Storage.ElementCount)
                throw InTensor(path, key, $"view {view} reaches element {last} but storage '{t.Storage.Key}' holds {t.Storage.ElementCount} elements.");
        }
        catch (OverflowException)
        {
            throw InTensor(path, key, $"view {view} overflows; expected a view inside its storage.");
        }
    }

    private PickleTensor Tensor(string key) =>
        _tensors.TryGetValue(key, out var t) ? t : throw InTensor(Path, key, $"no tensor of that name; the file has {_tensors.Count} tensors.");

    /// <summary>Reads tensor <paramref name="key"/> into a new contiguous CPU tensor in its stored dtype. The caller owns it.</summary>
    public torch.Tensor ReadTensor(string key)
    {
        var info = Tensor(key);
        TorchRuntime.EnsureInitialized();
        var type = info.Storage.Type;
        using var storage = torch.empty(new[] { info.Storage.ElementCount }, type.StorageDType, torch.CPU);
        var entryName = _prefix + "data/" + info.Storage.Key;
        lock (_lock)
        {
            try
            {
                var entry = _zip.GetEntry(entryName) ?? throw InTensor(Path, key, $"storage entry '{entryName}' disappeared.");
                using var source = entry.Open();
                var chunk = Math.Max(1, SafetensorsTensorBytes.ChunkBytes / type.ElementSize);
                for (long start = 0; start < info.Storage.ElementCount; start += chunk)
                {
                    using var slice = storage.narrow(0, start, Math.Min(chunk, info.Storage.ElementCount - start));
                    source.ReadExactly(slice.bytes);
                    if (type.StorageDType == torch.ScalarType.Bool && slice.bytes.IndexOfAnyExcept((byte)0, (byte)1) >= 0)
                        throw InTensor(Path, key, $"storage '{info.Storage.Key}' holds a bool byte other than 0 or 1.");
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException)
            {
                throw InTensor(Path, key, $"storage '{info.Storage.Key}' cannot be read ({e.Message}); the file is truncated or corrupt.");
            }
        }
        using var view = storage.as_strided(info.Size, info.Stride, info.Offset);
        var result = torch.empty(info.Size, type.StorageDType, torch.CPU);
        using (torch.no_grad()) result.copy_(view);
        return result;
    }

    /// <summary>Closes the archive.</summary>
    public void Dispose()
    {
        _zip.Dispose();
        _stream.Dispose();
    }
}
