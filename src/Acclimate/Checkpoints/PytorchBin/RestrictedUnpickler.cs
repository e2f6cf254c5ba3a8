using System.Buffers.Binary;
using System.Text;
using Acclimate.Errors;
using TorchSharp;

namespace Acclimate.Checkpoints.PytorchBin;

/// <summary>
/// Reads the pickle of a <c>torch.save</c> state dict without running any of it. A pickle is a small
/// program; this interpreter knows only the opcodes that build plain values (dicts, lists, tuples,
/// strings, numbers), and its only "functions" are C# stand-ins for an allow-list of Python globals:
/// <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c> / <c>_rebuild_tensor</c> /
/// <c>_rebuild_parameter</c>, and the <c>torch.*Storage</c> type markers. Any other global (e.g.
/// <c>os.system</c>, <c>builtins.eval</c>), REDUCE on anything but an allow-listed function, any other
/// opcode (INST, OBJ, NEWOBJ, EXT*, …) and malformed or truncated bytes raise a
/// <see cref="CheckpointException"/> naming the file, the byte offset and what was refused. Nothing
/// is looked up by reflection and nothing outside this class is ever called, so no payload can run.
/// </summary>
internal sealed class RestrictedUnpickler
{
    /// <summary>Caps on the memo and the stack, so hostile input cannot exhaust memory (a state dict needs a few thousand).</summary>
    private const int MaxMemoEntries = 10_000_000, MaxStackEntries = 1_000_000;

    private static readonly (string Name, torch.ScalarType DType, int Size)[] StorageTypes =
    {
        ("FloatStorage", torch.ScalarType.Float32, 4),
        ("DoubleStorage", torch.ScalarType.Float64, 8),
        ("HalfStorage", torch.ScalarType.Float16, 2),
        ("BFloat16Storage", torch.ScalarType.BFloat16, 2),
        ("LongStorage", torch.ScalarType.Int64, 8),
        ("IntStorage", torch.ScalarType.Int32, 4),
        ("ShortStorage", torch.ScalarType.Int16, 2),
        ("CharStorage", torch.ScalarType.Int8, 1),
        ("ByteStorage", torch.ScalarType.Byte, 1),
        ("BoolStorage", torch.ScalarType.Bool, 1),
    };

    /// <summary>The allow-list, for messages.</summary>
    public static string AllowedGlobals =>
        "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_tensor, torch._utils._rebuild_parameter, " +
        string.Join(", ", StorageTypes.Select(s => "torch." + s.Name));

    private static readonly Dictionary<byte, string> OpcodeNames = new()
    {
        [(byte)'('] = "MARK", [(byte)'.'] = "STOP", [(byte)'0'] = "POP", [(byte)'1'] = "POP_MARK", [(byte)'2'] = "DUP",
        [(byte)'F'] = "FLOAT", [(byte)'I'] = "INT", [(byte)'J'] = "BININT", [(byte)'K'] = "BININT1", [(byte)'L'] = "LONG",
        [(byte)'M'] = "BININT2", [(byte)'N'] = "NONE", [(byte)'P'] = "PERSID", [(byte)'Q'] = "BINPERSID", [(byte)'R'] = "REDUCE",
        [(byte)'S'] = "STRING", [(byte)'T'] = "BINSTRING", [(byte)'U'] = "SHORT_BINSTRING", [(byte)'V'] = "UNICODE",
        [(byte)'X'] = "BINUNICODE", [(byte)'a'] = "APPEND", [(byte)'b'] = "BUILD", [(byte)'c'] = "GLOBAL", [(byte)'d'] = "DICT",
        [(byte)'}'] = "EMPTY_DICT", [(byte)'e'] = "APPENDS", [(byte)'g'] = "GET", [(byte)'h'] = "BINGET", [(byte)'i'] = "INST",
        [(byte)'j'] = "LONG_BINGET", [(byte)'l'] = "LIST", [(byte)']'] = "EMPTY_LIST", [(byte)'o'] = "OBJ", [(byte)'p'] = "PUT",
        [(byte)'q'] = "BINPUT", [(byte)'r'] = "LONG_BINPUT", [(byte)'s'] = "SETITEM", [(byte)'t'] = "TUPLE", [(byte)')'] = "EMPTY_TUPLE",
        [(byte)'u'] = "SETITEMS", [(byte)'G'] = "BINFLOAT", [0x80] = "PROTO", [0x81] = "NEWOBJ", [0x82] = "EXT1", [0x83] = "EXT2",
        [0x84] = "EXT4", [0x85] = "TUPLE1", [0x86] = "TUPLE2", [0x87] = "TUPLE3", [0x88] = "NEWTRUE", [0x89] = "NEWFALSE",
        [0x8a] = "LONG1", [0x8b] = "LONG4", [(byte)'B'] = "BINBYTES", [(byte)'C'] = "SHORT_BINBYTES", [0x8c] = "SHORT_BINUNICODE",
        [0x8d] = "BINUNICODE8", [0x8e] = "BINBYTES8", [0x8f] = "EMPTY_SET", [0x90] = "ADDITEMS", [0x91] = "FROZENSET",
        [0x92] = "NEWOBJ_EX", [0x93] = "STACK_GLOBAL", [0x94] = "MEMOIZE", [0x95] = "FRAME", [0x96] = "BYTEARRAY8",
        [0x97] = "NEXT_BUFFER", [0x98] = "READONLY_BUFFER",
    };

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private readonly byte[] _data;
    private readonly string _source;
    private readonly Func<PickleTuple, long, object> _persistentLoad;
    private readonly List<object?> _stack = new();
    private readonly List<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;
    private int _opStart;

    private RestrictedUnpickler(byte[] data, string source, Func<PickleTuple, long, object> persistentLoad)
    {
        _data = data;
        _source = source;
        _persistentLoad = persistentLoad;
    }

    /// <summary>
    /// Interprets <paramref name="data"/> and returns the value it builds. <paramref name="source"/>
    /// names the file in errors; <paramref name="persistentLoad"/> resolves BINPERSID ids (the
    /// archive's storages; it receives the id tuple and the opcode's byte offset).
    /// </summary>
    public static object? Load(byte[] data, string source, Func<PickleTuple, long, object> persistentLoad) =>
        new RestrictedUnpickler(data, source, persistentLoad).Run();

    private CheckpointException Error(string detail) =>
        new($"PyTorch file '{_source}', pickle byte {_opStart}: {detail}");

    private object? Run()
    {
        while (true)
        {
            if (_pos >= _data.Length)
                throw Error("the pickle ends without a STOP opcode; the file is truncated or corrupt.");
            _opStart = _pos;
            var op = _data[_pos++];
            switch (op)
            {
                case 0x80: // PROTO
                    var protocol = ReadByte();
                    if (protocol is < 2 or > 5) throw Error($"pickle protocol {protocol}; expected 2 to 5.");
                    break;
                case 0x95: Take(8); break; // FRAME: a length hint only
                case (byte)'.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0)
                        throw Error($"STOP with {_stack.Count} values on the stack and {_marks.Count} open marks; expected exactly one value.");
                    return _stack[0];
                case (byte)'(': _marks.Add(_stack.Count); break;
                case (byte)'0': Pop(); break;
                case (byte)'1': PopMark(); break;
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case (byte)'K': Push((long)ReadByte()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case 0x8a: Push(ReadLong1()); break;
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'X': Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case 0x8c: Push(ReadString(ReadByte())); break;
                case 0x8d: Push(ReadString(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break;
                case (byte)'}': Push(new PickleDict()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)')': Push(new PickleTuple(Array.Empty<object?>())); break;
                case (byte)'t': Push(new PickleTuple(PopMark().ToArray())); break;
                case 0x85: Push(new PickleTuple(PopN(1))); break;
                case 0x86: Push(new PickleTuple(PopN(2))); break;
                case 0x87: Push(new PickleTuple(PopN(3))); break;
                case (byte)'l': Push(PopMark()); break;
                case (byte)'d':
                {
                    var dict = new PickleDict();
                    SetItems(dict, PopMark());
                    Push(dict);
                    break;
                }
                case (byte)'s':
                {
                    var value = Pop();
                    var key = Pop();
                    SetItems(Top<PickleDict>("SETITEM"), new List<object?> { key, value });
                    break;
                }
                case (byte)'u':
                {
                    var items = PopMark();
                    SetItems(Top<PickleDict>("SETITEMS"), items);
                    break;
                }
                case (byte)'a':
                {
                    var value = Pop();
                    Top<List<object?>>("APPEND").Add(value);
                    break;
                }
                case (byte)'e':
                {
                    var items = PopMark();
                    Top<List<object?>>("APPENDS").AddRange(items);
                    break;
                }
                case (byte)'q': Put(ReadByte()); break;
                case (byte)'r': Put(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break;
                case 0x94: Put(_memo.Count); break;
                case (byte)'h': Get(ReadByte()); break;
                case (byte)'j': Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break;
                case (byte)'c':
                {
                    var module = ReadLine();
                    var name = ReadLine();
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n)
                        throw Error($"STACK_GLOBAL with a {Describe(module)} module and a {Describe(name)} name; expected two strings.");
                    Push(ResolveGlobal(m, n));
                    break;
                }
                case (byte)'R':
                {
                    var args = Pop();
                    var callable = Pop();
                    Push(Reduce(callable, args));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop();
                    var target = _stack.Count > 0 ? _stack[^1] : null;
                    if (target is not PickleDict dict)
                        throw Error($"refused BUILD (set object state) on a {Describe(target)}; only a state dict's own metadata may be built.");
                    dict.BuildState = state;
                    break;
                }
                case (byte)'Q': // BINPERSID
                {
                    var pid = Pop();
                    if (pid is not PickleTuple tuple)
                        throw Error($"a persistent id is a {Describe(pid)}; expected a tuple ('storage', type, key, location, size).");
                    Push(_persistentLoad(tuple, _opStart));
                    break;
                }
                default:
                    throw Error(OpcodeNames.TryGetValue(op, out var known)
                        ? $"refused opcode {known} (0x{op:x2}); a state-dict pickle needs only plain containers, numbers, strings and the torch tensor allow-list, so the file may be malicious. Nothing from it was executed."
                        : $"unknown opcode 0x{op:x2}; the file is corrupt or not a pickle.");
            }
        }
    }

    private object ResolveGlobal(string module, string name)
    {
        switch (module, name)
        {
            case ("collections", "OrderedDict"): return new PickleGlobal(module, name, PickleGlobalKind.OrderedDict);
            case ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_tensor"): return new PickleGlobal(module, name, PickleGlobalKind.RebuildTensor);
            case ("torch._utils", "_rebuild_parameter"): return new PickleGlobal(module, name, PickleGlobalKind.RebuildParameter);
        }
        if (module == "torch")
            foreach (var (storageName, dtype, size) in StorageTypes)
                if (name == storageName) return new PickleGlobal(module, name, PickleGlobalKind.StorageType, dtype, size);
        throw Error($"refused the Python global '{module}.{name}': it is not on the allow-list ({AllowedGlobals}). " +
                    "A state dict needs nothing else, so the file may be malicious. Nothing from it was executed.");
    }

    private object Reduce(object? callable, object? argsValue)
    {
        if (callable is not PickleGlobal global)
            throw Error($"refused REDUCE on {Describe(callable)}; only the allow-listed functions can be called.");
        if (argsValue is not PickleTuple args)
            throw Error($"REDUCE of {global.QualifiedName} with a {Describe(argsValue)} as arguments; expected a tuple.");
        switch (global.Kind)
        {
            case PickleGlobalKind.OrderedDict:
            {
                var dict = new PickleDict();
                if (args.Count == 0) return dict;
                if (args.Count == 1 && args.Items[0] is List<object?> pairs)
                {
                    foreach (var pair in pairs)
                    {
                        if (pair is not PickleTuple { Count: 2 } kv) throw Error($"OrderedDict item is a {Describe(pair)}; expected a (key, value) tuple.");
                        SetItems(dict, new List<object?> { kv.Items[0], kv.Items[1] });
                    }
                    return dict;
                }
                throw Error($"OrderedDict called with {args.Count} arguments; expected none or one list of pairs.");
            }
            case PickleGlobalKind.RebuildTensor:
            {
                // _rebuild_tensor(storage, offset, size, stride); _v2 adds requires_grad, backward_hooks[, metadata].
                var expected = global.Name == "_rebuild_tensor" ? "4" : "6 or 7";
                if (global.Name == "_rebuild_tensor" ? args.Count != 4 : args.Count is not (6 or 7))
                    throw Error($"{global.QualifiedName} called with {args.Count} arguments; expected {expected}.");
                if (args.Items[0] is not PickleStorage storage)
                    throw Error($"{global.QualifiedName}: the first argument is a {Describe(args.Items[0])}; expected a storage (persistent id).");
                var offset = args.Items[1] as long? ?? throw Error($"{global.QualifiedName}: the storage offset is a {Describe(args.Items[1])}; expected an int.");
                var size = Longs(args.Items[2], global, "size");
                var stride = Longs(args.Items[3], global, "stride");
                if (size.Length != stride.Length)
                    throw Error($"{global.QualifiedName}: size has {size.Length} dimensions but stride has {stride.Length}; expected the same number.");
                return new PickleTensor(storage, offset, size, stride);
            }
            case PickleGlobalKind.RebuildParameter:
                if (args.Count is < 2 or > 4 || args.Items[0] is not PickleTensor tensor)
                    throw Error($"{global.QualifiedName} called with ({string.Join(", ", args.Items.Select(Describe))}); expected (tensor, requires_grad, hooks).");
                return tensor;
            default:
                throw Error($"refused REDUCE on {global.QualifiedName}, a storage-type marker that is not callable. Nothing from the file was executed.");
        }
    }

    private long[] Longs(object? value, PickleGlobal global, string what)
    {
        if (value is not PickleTuple tuple || tuple.Items.Any(v => v is not long))
            throw Error($"{global.QualifiedName}: the {what} is a {Describe(value)}; expected a tuple of ints.");
        return tuple.Items.Select(v => (long)v!).ToArray();
    }

    private void SetItems(PickleDict dict, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Error($"{items.Count} values to set as dict items; expected key/value pairs.");
        for (var i = 0; i < items.Count; i += 2)
            if (!dict.TrySet(items[i], items[i + 1]))
                throw Error($"a dict key is a {Describe(items[i])}; expected a str, int, float, bool or None.");
    }

    private T Top<T>(string opcode) where T : class
    {
        var top = _stack.Count > 0 ? _stack[^1] : null;
        return top as T ?? throw Error($"{opcode} on a {Describe(top)}; expected a {(typeof(T) == typeof(PickleDict) ? "dict" : "list")}.");
    }

    private void Put(long index)
    {
        if (_stack.Count == 0) throw Error("memo PUT with an empty stack.");
        if (_memo.Count >= MaxMemoEntries && !_memo.ContainsKey(index)) throw Error($"more than {MaxMemoEntries} memo entries.");
        _memo[index] = _stack[^1];
    }

    private void Get(long index)
    {
        if (!_memo.TryGetValue(index, out var value)) throw Error($"memo GET of entry {index}, which was never stored.");
        Push(value);
    }

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStackEntries) throw Error($"more than {MaxStackEntries} values on the stack; expected a state dict.");
        _stack.Add(value);
    }

    private object? Pop()
    {
        var floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Error("an opcode needs a value but the stack (above the last MARK) is empty.");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object?[] PopN(int count)
    {
        var items = new object?[count];
        for (var i = count - 1; i >= 0; i--) items[i] = Pop();
        return items;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Error("an opcode needs a MARK but none is open.");
        var mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private byte ReadByte() => Take(1)[0];

    private ReadOnlySpan<byte> Take(ulong count)
    {
        if (count > (ulong)(_data.Length - _pos))
            throw Error($"the opcode needs {count} more bytes but only {_data.Length - _pos} remain; the file is truncated or corrupt.");
        var span = _data.AsSpan(_pos, (int)count);
        _pos += (int)count;
        return span;
    }

    private long ReadLong1()
    {
        var length = ReadByte();
        if (length > 8) throw Error($"LONG1 of {length} bytes; expected an integer of at most 8 bytes.");
        var bytes = Take(length);
        long value = 0;
        for (var i = length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
        if (length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0) value -= 1L << (8 * length);   // two's complement sign
        return value;
    }

    private string ReadString(ulong length)
    {
        var bytes = Take(length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error("a string is not valid UTF-8.");
        }
    }

    private string ReadLine()
    {
        var end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(256, _data.Length - _pos));
        if (end < 0) throw Error("GLOBAL without a newline-terminated module or name within 256 bytes; the file is truncated or corrupt.");
        var text = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return text;
    }

    /// <summary>A short, non-recursive description of a value for messages (hostile values can be cyclic).</summary>
    private static string Describe(object? value) => value switch
    {
        null => "None",
        bool => "bool",
        long => "int",
        double => "float",
        string s => $"str '{(s.Length > 40 ? s[..40] + "…" : s)}'",
        PickleTuple t => $"tuple of {t.Count}",
        List<object?> l => $"list of {l.Count}",
        PickleDict => "dict",
        PickleGlobal g => g.QualifiedName,
        PickleStorage => "storage",
        PickleTensor => "tensor",
        _ => value.GetType().Name,
    };
}
