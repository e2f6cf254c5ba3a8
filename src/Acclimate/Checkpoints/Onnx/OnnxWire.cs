using Google.Protobuf;

namespace Acclimate.Checkpoints.Onnx;

/// <summary>
/// Field-by-field decoding of the ONNX messages in <see cref="OnnxModel"/>. Field numbers are those
/// of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
/// Repeated scalars are accepted packed or unpacked, as protobuf requires of readers.
/// </summary>
internal static class OnnxWire
{
    public static OnnxModel ReadModel(CodedInputStream input)
    {
        long ir = 0, opset = 0;
        string producer = "", producerVersion = "";
        OnnxGraph? graph = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ir = input.ReadInt64(); break;
                case 2: producer = input.ReadString(); break;
                case 3: producerVersion = input.ReadString(); break;
                case 7: graph = ReadMessage(input, ReadGraph); break;
                case 8:
                    var (domain, version) = ReadMessage(input, ReadOpset);
                    if (domain is "" or "ai.onnx") opset = version;
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxModel(ir, opset, producer, producerVersion, graph ?? new OnnxGraph("", [], [], [], []));
    }

    private static (string Domain, long Version) ReadOpset(CodedInputStream input)
    {
        string domain = "";
        long version = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: domain = input.ReadString(); break;
                case 2: version = input.ReadInt64(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (domain, version);
    }

    private static OnnxGraph ReadGraph(CodedInputStream input)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new List<OnnxTensor>();
        var inputs = new List<string>();
        var outputs = new List<string>();
        var name = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: nodes.Add(ReadMessage(input, ReadNode)); break;
                case 2: name = input.ReadString(); break;
                case 5: initializers.Add(ReadMessage(input, ReadTensor)); break;
                case 11: inputs.Add(ReadMessage(input, ReadValueInfoName)); break;
                case 12: outputs.Add(ReadMessage(input, ReadValueInfoName)); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxGraph(name, nodes, initializers, inputs, outputs);
    }

    private static string ReadValueInfoName(CodedInputStream input)
    {
        var name = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1) name = input.ReadString();
            else input.SkipLastField();
        }
        return name;
    }

    private static OnnxNode ReadNode(CodedInputStream input)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", op = "", domain = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: inputs.Add(input.ReadString()); break;
                case 2: outputs.Add(input.ReadString()); break;
                case 3: name = input.ReadString(); break;
                case 4: op = input.ReadString(); break;
                case 5:
                    var attribute = ReadMessage(input, ReadAttribute);
                    attributes[attribute.Name] = attribute;
                    break;
                case 7: domain = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxNode(name, op, domain, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(CodedInputStream input)
    {
        string name = "";
        long? i = null;
        float? f = null;
        byte[]? s = null;
        OnnxTensor? t = null;
        var ints = new List<long>();
        var floats = new List<float>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: name = input.ReadString(); break;
                case 2: f = input.ReadFloat(); break;
                case 3: i = input.ReadInt64(); break;
                case 4: s = input.ReadBytes().ToByteArray(); break;
                case 5: t = ReadMessage(input, ReadTensor); break;
                case 7: ReadRepeated(input, tag, floats, static x => x.ReadFloat()); break;
                case 8: ReadRepeated(input, tag, ints, static x => x.ReadInt64()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxAttribute(name, i, f, s, t, ints, floats);
    }

    private static OnnxTensor ReadTensor(CodedInputStream input)
    {
        var dims = new List<long>();
        var floats = new List<float>();
        var int64s = new List<long>();
        var int32s = new List<int>();
        var dataType = OnnxDataType.Undefined;
        string name = "";
        byte[]? raw = null;
        var external = false;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ReadRepeated(input, tag, dims, static x => x.ReadInt64()); break;
                case 2: dataType = (OnnxDataType)input.ReadInt32(); break;
                case 4: ReadRepeated(input, tag, floats, static x => x.ReadFloat()); break;
                case 5: ReadRepeated(input, tag, int32s, static x => x.ReadInt32()); break;
                case 7: ReadRepeated(input, tag, int64s, static x => x.ReadInt64()); break;
                case 8: name = input.ReadString(); break;
                case 9: raw = input.ReadBytes().ToByteArray(); break;
                case 13: external = true; input.SkipLastField(); break;
                case 14: external |= input.ReadInt32() == 1; break;   // data_location EXTERNAL
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxTensor(name, dims, dataType, raw, floats, int64s, int32s, external);
    }

    private static void ReadRepeated<T>(CodedInputStream input, uint tag, List<T> target, Func<CodedInputStream, T> readOne)
    {
        if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
        {
            var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
            while (!packed.IsAtEnd) target.Add(readOne(packed));
        }
        else target.Add(readOne(input));
    }

    /// <summary>Reads one length-delimited sub-message with <paramref name="read"/>, which reads until the message ends.</summary>
    private static T ReadMessage<T>(CodedInputStream input, Func<CodedInputStream, T> read)
    {
        // A stream over the message's own bytes keeps each reader simple: ReadTag() returns 0 at its end.
        return read(new CodedInputStream(input.ReadBytes().ToByteArray()));
    }
}
