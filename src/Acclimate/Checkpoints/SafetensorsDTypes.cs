using TorchSharp;

namespace Acclimate.Checkpoints;

/// <summary>
/// Facts about <see cref="SafetensorsDType"/>: the spelling used in headers, the element size,
/// and the TorchSharp scalar type each one maps to.
/// </summary>
internal static class SafetensorsDTypes
{
    private static readonly (SafetensorsDType DType, string Name, int Size, torch.ScalarType? Torch)[] Table =
    {
        (SafetensorsDType.Bool, "BOOL", 1, torch.ScalarType.Bool),
        (SafetensorsDType.U8, "U8", 1, torch.ScalarType.Byte),
        (SafetensorsDType.I8, "I8", 1, torch.ScalarType.Int8),
        (SafetensorsDType.F8E5M2, "F8_E5M2", 1, null),
        (SafetensorsDType.F8E4M3, "F8_E4M3", 1, null),
        (SafetensorsDType.I16, "I16", 2, torch.ScalarType.Int16),
        (SafetensorsDType.U16, "U16", 2, null),
        (SafetensorsDType.F16, "F16", 2, torch.ScalarType.Float16),
        (SafetensorsDType.BF16, "BF16", 2, torch.ScalarType.BFloat16),
        (SafetensorsDType.I32, "I32", 4, torch.ScalarType.Int32),
        (SafetensorsDType.U32, "U32", 4, null),
        (SafetensorsDType.F32, "F32", 4, torch.ScalarType.Float32),
        (SafetensorsDType.F64, "F64", 8, torch.ScalarType.Float64),
        (SafetensorsDType.I64, "I64", 8, torch.ScalarType.Int64),
        (SafetensorsDType.U64, "U64", 8, null),
    };

    /// <summary>Header spellings of every dtype this library understands, comma-separated (for messages).</summary>
    public static string KnownNames => string.Join(", ", Table.Select(e => e.Name));

    /// <summary>Header spellings of the dtypes that can be read into a torch tensor, comma-separated.</summary>
    public static string ReadableNames => string.Join(", ", Table.Where(e => e.Torch is not null).Select(e => e.Name));

    /// <summary>The header spelling, e.g. "F32" or "F8_E4M3".</summary>
    public static string FormatName(this SafetensorsDType dtype) => Entry(dtype).Name;

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafetensorsDType dtype) => Entry(dtype).Size;

    /// <summary>True when TorchSharp has a scalar type that holds this dtype bit for bit.</summary>
    public static bool IsReadable(this SafetensorsDType dtype) => Entry(dtype).Torch is not null;

    /// <summary>The TorchSharp scalar type, or null when TorchSharp 0.107 has none.</summary>
    public static torch.ScalarType? ToScalarType(this SafetensorsDType dtype) => Entry(dtype).Torch;

    /// <summary>Parses a header spelling; the match is exact (case-sensitive), as in the reference.</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        foreach (var entry in Table)
        {
            if (string.Equals(entry.Name, name, StringComparison.Ordinal))
            {
                dtype = entry.DType;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>The dtype a torch scalar type is stored as, or null for types safetensors cannot hold here (complex, quantized).</summary>
    public static SafetensorsDType? FromScalarType(torch.ScalarType scalarType)
    {
        foreach (var entry in Table)
        {
            if (entry.Torch == scalarType) return entry.DType;
        }
        return null;
    }

    private static (SafetensorsDType DType, string Name, int Size, torch.ScalarType? Torch) Entry(SafetensorsDType dtype)
    {
        var index = (int)dtype;
        if (index < 0 || index >= Table.Length || Table[index].DType != dtype)
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a SafetensorsDType member.");
        return Table[index];
    }
}
