using TorchSharp;

namespace Acclimate.Checkpoints.PytorchBin;

/// <summary>A Python tuple read from a pickle (immutable).</summary>
internal sealed class PickleTuple
{
    public PickleTuple(object?[] items) => Items = items;

    public object?[] Items { get; }

    public int Count => Items.Length;
}

/// <summary>
/// A Python dict or <c>collections.OrderedDict</c> read from a pickle, in insertion order. Keys are
/// the hashable scalars a state dict uses (str, int, float, bool, None).
/// </summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new();
    private int _noneIndex = -1;

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    /// <summary>The state a BUILD opcode gave the dict (torch's <c>_metadata</c>); kept, never interpreted.</summary>
    public object? BuildState { get; set; }

    /// <summary>Sets <paramref name="key"/>; false when the key is not a hashable scalar.</summary>
    public bool TrySet(object? key, object? value)
    {
        if (key is null)
        {
            if (_noneIndex >= 0) _items[_noneIndex] = new(null, value);
            else { _noneIndex = _items.Count; _items.Add(new(null, value)); }
            return true;
        }
        if (key is not (string or long or double or bool)) return false;
        if (_index.TryGetValue(key, out var at)) _items[at] = new(key, value);
        else { _index[key] = _items.Count; _items.Add(new(key, value)); }
        return true;
    }
}

/// <summary>What an allow-listed Python global stands for.</summary>
internal enum PickleGlobalKind
{
    /// <summary><c>collections.OrderedDict</c>: REDUCE with () or a list of pairs builds a dict.</summary>
    OrderedDict,
    /// <summary><c>torch._utils._rebuild_tensor_v2</c> (and the older <c>_rebuild_tensor</c>): a view of a storage.</summary>
    RebuildTensor,
    /// <summary><c>torch._utils._rebuild_parameter</c>: an nn.Parameter around a tensor (read as the tensor).</summary>
    RebuildParameter,
    /// <summary><c>torch.FloatStorage</c> and friends: names a storage's element type inside a persistent id; not callable.</summary>
    StorageType,
}

/// <summary>An allow-listed Python global. Only these ever exist: anything else is refused when read.</summary>
internal sealed record PickleGlobal(string Module, string Name, PickleGlobalKind Kind, torch.ScalarType StorageDType = torch.ScalarType.Byte, int ElementSize = 1)
{
    public string QualifiedName => $"{Module}.{Name}";
}

/// <summary>A storage of the archive (<c>&lt;top&gt;/data/&lt;key&gt;</c>), as its persistent id describes it.</summary>
internal sealed record PickleStorage(string Key, PickleGlobal Type, string Location, long ElementCount);

/// <summary>A tensor as torch rebuilds it: a strided view of a storage. Not yet validated against the storage.</summary>
internal sealed record PickleTensor(PickleStorage Storage, long Offset, long[] Size, long[] Stride);
