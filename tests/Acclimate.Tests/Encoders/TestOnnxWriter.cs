using Google.Protobuf;

namespace Acclimate.Tests.Encoders;

/// <summary>
/// Writes small ONNX ModelProto files for importer tests, field by field (onnx.proto's numbers).
/// Only what the importer reads: nodes with inputs/outputs/names/attributes, initializers with raw
/// data, graph inputs/outputs, the opset.
/// </summary>
internal sealed class TestOnnxWriter
{
    private readonly List<byte[]> _nodes = new();
    private readonly List<byte[]> _initializers = new();
    private readonly List<string> _inputs = new();
    private readonly List<string> _outputs = new();
    private int _counter;

    public string Fresh(string hint = "v") => $"{hint}_{_counter++}";

    public void Input(string name) => _inputs.Add(name);
    public void Output(string name) => _outputs.Add(name);

    public void FloatInitializer(string name, long[] dims, float[] values) =>
        _initializers.Add(Tensor(name, dims, 1, Raw(values)));

    public void Int64Initializer(string name, long[] dims, long[] values) =>
        _initializers.Add(Tensor(name, dims, 7, values.SelectMany(BitConverter.GetBytes).ToArray()));

    /// <summary>A Constant node holding a float scalar; returns its output name.</summary>
    public string FloatConstant(float value, string? nodeName = null)
    {
        var output = Fresh("c");
        Node("Constant", nodeName ?? Fresh("Constant"), Array.Empty<string>(), new[] { output },
            Attribute("value", tensor: Tensor("", Array.Empty<long>(), 1, BitConverter.GetBytes(value))));
        return output;
    }

    /// <summary>A Constant node holding a one-element int64 vector.</summary>
    public string Int64Constant(long value, string? nodeName = null)
    {
        var output = Fresh("c");
        Node("Constant", nodeName ?? Fresh("Constant"), Array.Empty<string>(), new[] { output },
            Attribute("value", tensor: Tensor("", new long[] { 1 }, 7, BitConverter.GetBytes(value))));
        return output;
    }

    public void Node(string op, string name, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params byte[][] attributes)
    {
        _nodes.Add(Message(o =>
        {
            foreach (var i in inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
            foreach (var x in outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(x); }
            o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(op);
            foreach (var a in attributes) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(a)); }
        }));
    }

    /// <summary>One node with a single fresh output; returns the output's name.</summary>
    public string Op(string op, string name, params string[] inputs)
    {
        var output = Fresh(op);
        Node(op, name, inputs, new[] { output });
        return output;
    }

    public static byte[] Attribute(string name, long? i = null, float? f = null, string? s = null, byte[]? tensor = null, long[]? ints = null) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        if (f is float fv) { o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(fv); }
        if (i is long iv) { o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(iv); }
        if (s is not null) { o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFromUtf8(s)); }
        if (tensor is not null) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(tensor)); }
        if (ints is not null)
            foreach (var v in ints) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(v); }
    });

    public byte[] ToBytes(long opset = 13) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(7);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("acclimate-test");
        var graph = Message(g =>
        {
            foreach (var n in _nodes) { g.WriteTag(1, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(n)); }
            g.WriteTag(2, WireFormat.WireType.LengthDelimited); g.WriteString("test-graph");
            foreach (var t in _initializers) { g.WriteTag(5, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(t)); }
            foreach (var i in _inputs) { g.WriteTag(11, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(ValueInfo(i))); }
            foreach (var x in _outputs) { g.WriteTag(12, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(ValueInfo(x))); }
        });
        o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(graph));
        var opsetId = Message(s => { s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(opset); });
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(opsetId));
    });

    private static byte[] ValueInfo(string name) => Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name); });

    private static byte[] Tensor(string name, long[] dims, int dataType, byte[] raw) => Message(o =>
    {
        foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(dataType);
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
    });

    private static byte[] Raw(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true)) write(output);
        return buffer.ToArray();
    }
}
