using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace Acclimate.Tests.Checkpoints;

/// <summary>
/// Test-side safetensors helpers that do not use the library: building file bytes by hand
/// (including malformed ones) and an independent parser to check what the library reads and writes.
/// </summary>
internal static class SafetensorsTestBytes
{
    /// <summary>u64 LE length + header JSON (padded with spaces to 8 when <paramref name="pad"/>) + data.</summary>
    public static byte[] Build(string headerJson, byte[]? data = null, bool pad = true)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        if (pad && header.Length % 8 != 0)
            header = header.Concat(Enumerable.Repeat((byte)' ', 8 - header.Length % 8)).ToArray();
        return BuildRaw((ulong)header.Length, header, data ?? Array.Empty<byte>());
    }

    /// <summary>Any length field, any header bytes, any data: for files that lie about themselves.</summary>
    public static byte[] BuildRaw(ulong lengthField, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lengthField);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>One parsed header entry, with the tensor's bytes sliced from the file.</summary>
    public sealed record RawTensor(string Name, string DType, long[] Shape, long Begin, long End, byte[] Data);

    /// <summary>A deliberately simple parser, sharing no code with the library.</summary>
    public static (Dictionary<string, string> Metadata, Dictionary<string, RawTensor> Tensors, long DataStart) Parse(byte[] file)
    {
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        var dataStart = 8L + headerLength;
        using var document = JsonDocument.Parse(file.AsMemory(8, headerLength));
        var metadata = new Dictionary<string, string>();
        var tensors = new Dictionary<string, RawTensor>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var m in property.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            var offsets = property.Value.GetProperty("data_offsets");
            var begin = offsets[0].GetInt64();
            var end = offsets[1].GetInt64();
            tensors[property.Name] = new RawTensor(
                property.Name,
                property.Value.GetProperty("dtype").GetString()!,
                property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                begin,
                end,
                file[(int)(dataStart + begin)..(int)(dataStart + end)]);
        }
        return (metadata, tensors, dataStart);
    }

    /// <summary>Same dtype, shape and bytes (in row-major order): stricter than value equality, since NaN payloads count.</summary>
    public static bool SameBits(torch.Tensor a, torch.Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var ca = a.contiguous();
        using var cb = b.contiguous();
        return ca.bytes.SequenceEqual(cb.bytes);
    }
}
