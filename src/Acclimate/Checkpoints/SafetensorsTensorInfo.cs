namespace Acclimate.Checkpoints;

/// <summary>
/// One tensor's header entry, already validated: its dtype, shape and where its bytes lie.
/// Offsets are relative to the start of the data section (the byte after the header), as in the format.
/// </summary>
internal sealed class SafetensorsTensorInfo
{
    private readonly long[] _shape;

    internal SafetensorsTensorInfo(string name, SafetensorsDType dtype, long[] shape, long dataBegin, long dataEnd)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
    }

    /// <summary>The tensor's name (state-dict key).</summary>
    public string Name { get; }

    /// <summary>The element type as stored in the file.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The shape; a fresh copy on every call so callers cannot alter the parsed header.</summary>
    public long[] Shape => (long[])_shape.Clone();

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>Offset of the first byte, relative to the data section.</summary>
    public long DataBegin { get; }

    /// <summary>Offset one past the last byte, relative to the data section.</summary>
    public long DataEnd { get; }

    /// <summary>Bytes the tensor occupies: element count times element size.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>Number of elements (1 for a scalar, 0 when any dimension is 0).</summary>
    public long ElementCount => ByteLength / DType.ElementSize();

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType.FormatName()} [{string.Join(", ", _shape)}] @ {DataBegin}..{DataEnd}";
}
