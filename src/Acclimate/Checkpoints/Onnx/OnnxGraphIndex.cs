namespace Acclimate.Checkpoints.Onnx;

/// <summary>
/// Look-ups over an <see cref="OnnxGraph"/>: which node produces a value, which nodes consume it,
/// and which values are constants (initializers or the outputs of Constant nodes).
/// </summary>
internal sealed class OnnxGraphIndex
{
    private readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<OnnxNode>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxTensor> _constants = new(StringComparer.Ordinal);

    public OnnxGraphIndex(OnnxGraph graph)
    {
        Graph = graph;
        foreach (var t in graph.Initializers) Initializers[t.Name] = t;
        foreach (var t in graph.Initializers) _constants[t.Name] = t;
        foreach (var node in graph.Nodes)
        {
            foreach (var output in node.Outputs) _producers[output] = node;
            foreach (var input in node.Inputs.Where(i => i.Length > 0))
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = new List<OnnxNode>();
                list.Add(node);
            }
            if (node.OpType == "Constant" && node.Outputs.Count == 1 && node.Attributes.TryGetValue("value", out var value) && value.Tensor is { } tensor)
                _constants[node.Outputs[0]] = tensor with { Name = node.Outputs[0] };
        }
    }

    public OnnxGraph Graph { get; }

    /// <summary>The graph's initializers by name.</summary>
    public Dictionary<string, OnnxTensor> Initializers { get; } = new(StringComparer.Ordinal);

    public OnnxNode? Producer(string value) => _producers.GetValueOrDefault(value);

    public IReadOnlyList<OnnxNode> Consumers(string value) => _consumers.TryGetValue(value, out var list) ? list : Array.Empty<OnnxNode>();

    /// <summary>The constant behind <paramref name="value"/>, looking through Identity and Cast nodes.</summary>
    public OnnxTensor? Constant(string value)
    {
        for (var hops = 0; hops < 4; hops++)
        {
            if (_constants.TryGetValue(value, out var tensor)) return tensor;
            if (Producer(value) is { OpType: "Identity" or "Cast" } pass && pass.Inputs.Count == 1) value = pass.Inputs[0];
            else return null;
        }
        return null;
    }

    /// <summary>The single number held by a one-element constant, or null.</summary>
    public double? ScalarConstant(string value)
    {
        var t = Constant(value);
        if (t is null || t.ElementCount != 1) return null;
        return t.IsFloatingPoint ? t.ToFloats()[0] : t.DataType is OnnxDataType.Int64 or OnnxDataType.Int32 ? t.ToInt64s()[0] : null;
    }

    /// <summary>Op types of the nodes reachable from <paramref name="value"/> within <paramref name="depth"/> hops.</summary>
    public HashSet<string> OpsDownstream(string value, int depth)
    {
        var seen = new HashSet<OnnxNode>(ReferenceEqualityComparer.Instance);
        var frontier = new List<string> { value };
        for (var d = 0; d < depth && frontier.Count > 0; d++)
        {
            var next = new List<string>();
            foreach (var v in frontier)
                foreach (var node in Consumers(v))
                    if (seen.Add(node)) next.AddRange(node.Outputs);
            frontier = next;
        }
        return seen.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal);
    }
}
