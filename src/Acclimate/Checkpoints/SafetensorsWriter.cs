using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TorchSharp;
using Acclimate.IO;

namespace Acclimate.Checkpoints;

/// <summary>
/// Writes tensors to a safetensors file that the reference implementation (and
/// <see cref="SafetensorsFile"/>) reads: compact JSON header padded with spaces to a multiple of
/// 8 bytes, then each tensor's little-endian bytes back to back.
/// </summary>
/// <remarks>
/// Order: by descending dtype alignment, then by name (ordinal UTF-8), exactly as the reference
/// writer does. For a file of one dtype (every model checkpoint) this is plain name order; with
/// mixed dtypes it keeps every tensor's data aligned to its element size, which PyTorch's
/// zero-copy loaders require. The write is atomic (<see cref="AtomicFile"/>) and streams one
/// tensor at a time: only a CPU/contiguous copy of the current tensor is made, and only when the
/// tensor is on another device or not contiguous. The caller's tensors are neither modified nor disposed.
/// </remarks>
public static class SafetensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes <paramref name="tensors"/> (and optional string <paramref name="metadata"/>) to
    /// <paramref name="path"/>, replacing any existing file only once the new one is complete.
    /// Throws <see cref="Acclimate.Errors.CheckpointException"/> for a duplicate or reserved name,
    /// a dtype safetensors cannot hold, or an I/O failure; the target is then left unchanged.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors writing needs a little-endian machine.");
        var fullPath = Path.GetFullPath(path);

        // The header lists every tensor, so all of them must be known before the first byte is
        // written; only references and shapes are collected here, never data.
        var entries = Plan(fullPath, tensors);
        var header = BuildHeader(fullPath, entries, metadata);

        try
        {
            AtomicFile.Write(fullPath, stream =>
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (var entry in entries) WriteData(entry, stream);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SafetensorsErrors.InFile(fullPath, $"could not be written ({e.Message}); any previous file is unchanged.", e);
        }
    }

    private sealed record Entry(string Name, byte[] NameUtf8, torch.Tensor Tensor, SafetensorsDType DType, long[] Shape, long ByteLength)
    {
        public long DataBegin { get; set; }
    }

    private static List<Entry> Plan(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors)
    {
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name is null)
                throw SafetensorsErrors.InFile(path, "a tensor has a null name; expected a non-null name.");
            if (name == SafetensorsHeader.MetadataKey)
                throw SafetensorsErrors.InTensor(path, name, $"\"{SafetensorsHeader.MetadataKey}\" is reserved for the metadata map; expected another tensor name.");
            if (!names.Add(name))
                throw SafetensorsErrors.InTensor(path, name, "the name is given twice; expected unique tensor names.");
            if (tensor is null || tensor.IsInvalid)
                throw SafetensorsErrors.InTensor(path, name, $"the tensor is {(tensor is null ? "null" : "disposed")}; expected a live tensor.");
            if (tensor.is_sparse)
                throw SafetensorsErrors.InTensor(path, name, "the tensor is sparse; expected a dense (strided) tensor.");
            var dtype = SafetensorsDTypes.FromScalarType(tensor.dtype)
                ?? throw SafetensorsErrors.InTensor(path, name, $"torch dtype {tensor.dtype} cannot be stored; storable torch dtypes map to {SafetensorsDTypes.ReadableNames}.");

            byte[] nameUtf8;
            try
            {
                nameUtf8 = StrictUtf8.GetBytes(name);
            }
            catch (EncoderFallbackException e)
            {
                throw SafetensorsErrors.InFile(path, $"tensor name '{name}' is not valid Unicode ({e.Message}); expected a name that encodes as UTF-8.", e);
            }

            var shape = tensor.shape;
            entries.Add(new Entry(name, nameUtf8, tensor, dtype, shape, checked(tensor.NumberOfElements * dtype.ElementSize())));
        }

        entries.Sort((a, b) =>
        {
            var byAlignment = ((int)b.DType).CompareTo((int)a.DType);
            return byAlignment != 0 ? byAlignment : a.NameUtf8.AsSpan().SequenceCompareTo(b.NameUtf8);
        });
        long offset = 0;
        foreach (var entry in entries)
        {
            entry.DataBegin = offset;
            offset = checked(offset + entry.ByteLength);
        }
        return entries;
    }

    /// <summary>
    /// The same bytes the reference writer (serde_json, compact) produces: metadata first, then
    /// entries as {"dtype":..,"shape":[..],"data_offsets":[b,e]}, padded with spaces to 8 bytes.
    /// Metadata keys are sorted so the output is deterministic.
    /// </summary>
    private static byte[] BuildHeader(string path, List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new StringBuilder("{");
        var first = true;
        if (metadata is not null && metadata.Count > 0)
        {
            json.Append('"').Append(SafetensorsHeader.MetadataKey).Append("\":{");
            var keys = metadata.Keys.OrderBy(k => k, Comparer<string>.Create(CompareUtf8)).ToList();
            for (var i = 0; i < keys.Count; i++)
            {
                var value = metadata[keys[i]]
                    ?? throw SafetensorsErrors.InFile(path, $"metadata key '{keys[i]}' has a null value; expected a string.");
                if (i > 0) json.Append(',');
                AppendString(json, keys[i]);
                json.Append(':');
                AppendString(json, value);
            }
            json.Append('}');
            first = false;
        }
        foreach (var entry in entries)
        {
            if (!first) json.Append(',');
            first = false;
            AppendString(json, entry.Name);
            json.Append(":{\"dtype\":\"").Append(entry.DType.FormatName()).Append("\",\"shape\":[");
            json.AppendJoin(',', entry.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
            json.Append("],\"data_offsets\":[")
                .Append(entry.DataBegin.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append((entry.DataBegin + entry.ByteLength).ToString(CultureInfo.InvariantCulture)).Append("]}");
        }
        json.Append('}');

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(json.ToString());
        }
        catch (EncoderFallbackException e)
        {
            throw SafetensorsErrors.InFile(path, $"the metadata holds text that is not valid Unicode ({e.Message}); expected strings that encode as UTF-8.", e);
        }
        // Padding to 8 makes the data section start 8-aligned, so aligned offsets mean aligned addresses.
        var padded = (bytes.Length + 7) / 8 * 8;
        if (padded == bytes.Length) return bytes;
        var result = new byte[padded];
        bytes.CopyTo(result, 0);
        result.AsSpan(bytes.Length).Fill((byte)' ');
        return result;
    }

    private static int CompareUtf8(string? a, string? b) =>
        Encoding.UTF8.GetBytes(a ?? "").AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b ?? ""));

    /// <summary>JSON string escaping as serde_json does it: quote, backslash and control characters only.</summary>
    private static void AppendString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                default:
                    if (c < 0x20) json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else json.Append(c);
                    break;
            }
        }
        json.Append('"');
    }

    private static void WriteData(Entry entry, Stream stream)
    {
        if (entry.ByteLength == 0) return;
        using var noGrad = torch.no_grad();
        var tensor = entry.Tensor;
        torch.Tensor? onCpu = null, contiguous = null;
        try
        {
            if (tensor.device_type != DeviceType.CPU) tensor = onCpu = tensor.cpu();
            if (!tensor.is_contiguous()) tensor = contiguous = tensor.contiguous();
            SafetensorsTensorBytes.WriteTo(tensor, stream);
        }
        finally
        {
            contiguous?.Dispose();
            onCpu?.Dispose();
        }
    }
}
