using Google.Protobuf;

namespace Acclimate.Checkpoints.Onnx;

/// <summary>
/// Builds an ONNX ModelProto field by field (onnx.proto's field numbers): nodes with typed
/// attributes, float32/int64/int8 initializers as raw data, Constant nodes, typed graph inputs/outputs whose axes are
/// fixed sizes or named dynamic dimensions, and one ai.onnx opset. The reading side is <see cref="OnnxWire"/>.
/// </summary>
internal sealed class OnnxGraphWriter
{
    /// <summary>TensorProto.DataType FLOAT.</summary>
    public const int Float = 1;
    /// <summary>TensorProto.DataType UINT8.</summary>
    public const int UInt8 = 2;
    /// <summary>TensorProto.DataType INT8.</summary>
    public const int Int8 = 3;
    /// <summary>TensorProto.DataType INT32.</summary>
    public const int Int32 = 6;
    /// <summary>TensorProto.DataType INT64.</summary>
    public const int Int64 = 7;

    private readonly List<byte[]> _nodes = new();
    private readonly List<byte[]> _initializers = new();
    private readonly List<byte[]> _inputs = new();
    private readonly List<byte[]> _outputs = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>A value name not used before, starting with <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        string name;
        do name = $"{hint}_{_counter++}"; while (!_names.Add(name));
        return name;
    }

    /// <summary>A graph input; each axis is a long (fixed) or a string (named dynamic axis).</summary>
    public void Input(string name, int elementType, params object[] axes) => _inputs.Add(ValueInfo(name, elementType, axes));

    /// <summary>A graph output; each axis is a long (fixed) or a string (named dynamic axis).</summary>
    public void Output(string name, int elementType, params object[] axes) => _outputs.Add(ValueInfo(name, elementType, axes));

    /// <summary>A float32 initializer.</summary>
    public string FloatInitializer(string name, long[] dims, float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        _names.Add(name);
        _initializers.Add(Tensor(name, dims, Float, bytes));
        return name;
    }

    /// <summary>An int64 initializer.</summary>
    public string Int64Initializer(string name, long[] dims, long[] values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        _names.Add(name);
        _initializers.Add(Tensor(name, dims, Int64, bytes));
        return name;
    }

    /// <summary>An initializer of any element type from its little-endian raw bytes.</summary>
    public string RawInitializer(string name, long[] dims, int elementType, byte[] raw)
    {
        _names.Add(name);
        _initializers.Add(Tensor(name, dims, elementType, raw));
        return name;
    }

    /// <summary>An int8 initializer.</summary>
    public string Int8Initializer(string name, long[] dims, sbyte[] values)
    {
        var bytes = new byte[values.Length];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return RawInitializer(name, dims, Int8, bytes);
    }

    /// <summary>A Constant node (not an initializer) holding a float32 scalar, as torch.onnx writes small constants; returns its output.</summary>
    public string FloatConstant(float value, string? nodeName = null) =>
        ConstantNode(nodeName, Array.Empty<long>(), Float, BitConverter.GetBytes(value));

    /// <summary>A Constant node holding a one-element int64 vector; returns its output.</summary>
    public string Int64Constant(long value, string? nodeName = null) =>
        ConstantNode(nodeName, new long[] { 1 }, Int64, BitConverter.GetBytes(value));

    private string ConstantNode(string? nodeName, long[] dims, int elementType, byte[] raw)
    {
        var output = Fresh("const");
        Node("Constant", nodeName ?? Fresh("Constant"), Array.Empty<string>(), new[] { output }, TensorAttr("value", dims, elementType, raw));
        return output;
    }

    /// <summary>A float32 scalar constant (an initializer with no dims).</summary>
    public string FloatScalar(float value, string hint = "const") => FloatInitializer(Fresh(hint), Array.Empty<long>(), new[] { value });

    /// <summary>An int64 scalar constant.</summary>
    public string Int64Scalar(long value, string hint = "const") => Int64Initializer(Fresh(hint), Array.Empty<long>(), new[] { value });

    /// <summary>An int64 vector constant.</summary>
    public string Int64Vector(string hint, params long[] values) => Int64Initializer(Fresh(hint), new long[] { values.Length }, values);

    /// <summary>One node with one output named after the node; returns the output.</summary>
    public string Op(string op, string nodeName, string[] inputs, params byte[][] attributes)
    {
        var output = Fresh(nodeName.TrimStart('/').Replace('/', '_'));
        Node(op, nodeName, inputs, new[] { output }, attributes);
        return output;
    }

    /// <summary>One node with the given outputs.</summary>
    public void Node(string op, string nodeName, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params byte[][] attributes)
    {
        _nodes.Add(Message(o =>
        {
            foreach (var i in inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
            foreach (var x in outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(x); }
            o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(nodeName);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(op);
            foreach (var a in attributes) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(a)); }
        }));
    }

    /// <summary>An INT attribute.</summary>
    public static byte[] Int(string name, long value) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(value);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(2);
    });

    /// <summary>A FLOAT attribute.</summary>
    public static byte[] FloatAttr(string name, float value) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(value);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(1);
    });

    /// <summary>A TENSOR attribute (e.g. a Constant node's <c>value</c>).</summary>
    public static byte[] TensorAttr(string name, long[] dims, int elementType, byte[] raw) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(Tensor("", dims, elementType, raw)));
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(4);
    });

    /// <summary>An INTS attribute.</summary>
    public static byte[] Ints(string name, params long[] values) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        foreach (var v in values) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(v); }
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(7);
    });

    /// <summary>The serialized ModelProto (IR version 8).</summary>
    public void WriteTo(Stream stream, long opset, string producerVersion, string graphName, string docString)
    {
        using var o = new CodedOutputStream(stream, leaveOpen: true);
        o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(8);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("acclimate");
        o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(producerVersion);
        var graph = Message(g =>
        {
            foreach (var n in _nodes) { g.WriteTag(1, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(n)); }
            g.WriteTag(2, WireFormat.WireType.LengthDelimited); g.WriteString(graphName);
            foreach (var t in _initializers) { g.WriteTag(5, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(t)); }
            g.WriteTag(10, WireFormat.WireType.LengthDelimited); g.WriteString(docString);
            foreach (var i in _inputs) { g.WriteTag(11, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(i)); }
            foreach (var x in _outputs) { g.WriteTag(12, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(x)); }
        });
        o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(graph));
        var opsetId = Message(s =>
        {
            s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString("");
            s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(opset);
        });
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(opsetId));
        o.Flush();
    }

    private static byte[] ValueInfo(string name, int elementType, object[] axes) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        var shape = Message(s =>
        {
            foreach (var axis in axes)
            {
                var dim = Message(d =>
                {
                    if (axis is string param) { d.WriteTag(2, WireFormat.WireType.LengthDelimited); d.WriteString(param); }
                    else { d.WriteTag(1, WireFormat.WireType.Varint); d.WriteInt64(Convert.ToInt64(axis, System.Globalization.CultureInfo.InvariantCulture)); }
                });
                s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteBytes(ByteString.CopyFrom(dim));
            }
        });
        var tensorType = Message(t =>
        {
            t.WriteTag(1, WireFormat.WireType.Varint); t.WriteInt32(elementType);
            t.WriteTag(2, WireFormat.WireType.LengthDelimited); t.WriteBytes(ByteString.CopyFrom(shape));
        });
        var type = Message(t => { t.WriteTag(1, WireFormat.WireType.LengthDelimited); t.WriteBytes(ByteString.CopyFrom(tensorType)); });
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(type));
    });

    private static byte[] Tensor(string name, long[] dims, int dataType, byte[] raw) => Message(o =>
    {
        foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(dataType);
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
    });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true)) write(output);
        return buffer.ToArray();
    }
}
