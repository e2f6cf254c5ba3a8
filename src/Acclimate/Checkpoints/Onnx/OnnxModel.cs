using System.Buffers.Binary;
using Acclimate.Errors;
using Google.Protobuf;

namespace Acclimate.Checkpoints.Onnx;

/// <summary>
/// The parts of an ONNX model file (onnx.proto3's ModelProto) that an importer needs: the graph's
/// nodes, initializers, inputs and outputs, and the opset. Decoded with Google.Protobuf's
/// <see cref="CodedInputStream"/>; fields this reader does not need are skipped, so newer files load.
/// </summary>
internal sealed record OnnxModel(long IrVersion, long Opset, string ProducerName, string ProducerVersion, OnnxGraph Graph)
{
    /// <summary>Reads <paramref name="path"/>; a file that is not an ONNX model is a <see cref="CheckpointException"/> naming it.</summary>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: ONNX file not found.");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes an ONNX ModelProto held in memory; <paramref name="source"/> names it in errors.</summary>
    public static OnnxModel Parse(byte[] bytes, string source)
    {
        try
        {
            var model = OnnxWire.ReadModel(new CodedInputStream(bytes));
            if (model.Graph.Nodes.Count == 0 && model.Graph.Initializers.Count == 0)
                throw new CheckpointException($"{source}: not an ONNX model (no graph with nodes or initializers).");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CheckpointException($"{source}: not a readable ONNX file ({e.Message}); is it truncated or of another format?", e);
        }
    }
}

/// <summary>An ONNX graph: nodes in topological order, named constant tensors, and the graph's inputs/outputs.</summary>
internal sealed record OnnxGraph(string Name, IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>One operator application.</summary>
internal sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    public long? IntAttribute(string name) => Attributes.TryGetValue(name, out var a) ? a.Int : null;
    public float? FloatAttribute(string name) => Attributes.TryGetValue(name, out var a) ? a.Float : null;
    public string? StringAttribute(string name) => Attributes.TryGetValue(name, out var a) && a.Bytes is { } b ? System.Text.Encoding.UTF8.GetString(b) : null;
}

/// <summary>A node attribute: the value fields ONNX can carry (only one is set for a given attribute).</summary>
internal sealed record OnnxAttribute(string Name, long? Int, float? Float, byte[]? Bytes, OnnxTensor? Tensor,
    IReadOnlyList<long> Ints, IReadOnlyList<float> Floats);

/// <summary>ONNX TensorProto element types used here (the numbers are the format's).</summary>
internal enum OnnxDataType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
    Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, BFloat16 = 16,
}

/// <summary>A constant tensor (initializer or Constant attribute) with its values as stored.</summary>
internal sealed record OnnxTensor(string Name, IReadOnlyList<long> Dims, OnnxDataType DataType, byte[]? RawData,
    IReadOnlyList<float> FloatData, IReadOnlyList<long> Int64Data, IReadOnlyList<int> Int32Data, bool IsExternal)
{
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The values as float32 (from raw little-endian bytes or the typed field).</summary>
    public float[] ToFloats()
    {
        RequireInline();
        if (DataType == OnnxDataType.Float)
        {
            if (RawData is { } raw)
            {
                CheckRawLength(raw, 4);
                var result = new float[raw.Length / 4];
                Buffer.BlockCopy(raw, 0, result, 0, raw.Length);
                if (!BitConverter.IsLittleEndian)
                    for (var i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i));
                return result;
            }
            return CheckCount(FloatData.ToArray());
        }
        if (DataType == OnnxDataType.Double && RawData is { } d)
        {
            CheckRawLength(d, 8);
            return Enumerable.Range(0, d.Length / 8).Select(i => (float)BinaryPrimitives.ReadDoubleLittleEndian(d.AsSpan(8 * i))).ToArray();
        }
        throw new CheckpointException($"ONNX tensor '{Name}': expected float data, found {DataType}.");
    }

    /// <summary>The values as int64 (INT64 or INT32 tensors).</summary>
    public long[] ToInt64s()
    {
        RequireInline();
        switch (DataType)
        {
            case OnnxDataType.Int64 when RawData is { } raw:
                CheckRawLength(raw, 8);
                return Enumerable.Range(0, raw.Length / 8).Select(i => BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(8 * i))).ToArray();
            case OnnxDataType.Int64:
                return CheckCount(Int64Data.ToArray());
            case OnnxDataType.Int32 when RawData is { } raw32:
                CheckRawLength(raw32, 4);
                return Enumerable.Range(0, raw32.Length / 4).Select(i => (long)BinaryPrimitives.ReadInt32LittleEndian(raw32.AsSpan(4 * i))).ToArray();
            case OnnxDataType.Int32:
                return CheckCount(Int32Data.Select(v => (long)v).ToArray());
            default:
                throw new CheckpointException($"ONNX tensor '{Name}': expected integer data, found {DataType}.");
        }
    }

    /// <summary>Whether this is a floating-point tensor (a weight candidate).</summary>
    public bool IsFloatingPoint => DataType is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16 or OnnxDataType.BFloat16;

    private void RequireInline()
    {
        if (IsExternal)
            throw new CheckpointException($"ONNX tensor '{Name}': its data lives in an external file, which this importer does not read (export with all tensors inside the .onnx file).");
    }

    private void CheckRawLength(byte[] raw, int elementSize)
    {
        if (raw.Length != ElementCount * elementSize)
            throw new CheckpointException($"ONNX tensor '{Name}': {raw.Length} bytes of data for shape [{string.Join(", ", Dims)}] ({ElementCount} × {elementSize} bytes expected).");
    }

    private T[] CheckCount<T>(T[] values)
    {
        if (values.Length != ElementCount)
            throw new CheckpointException($"ONNX tensor '{Name}': {values.Length} values for shape [{string.Join(", ", Dims)}] ({ElementCount} expected).");
        return values;
    }
}
