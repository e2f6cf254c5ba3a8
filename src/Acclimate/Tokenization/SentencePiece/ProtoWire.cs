namespace Acclimate.Tokenization.SentencePiece;

/// <summary>
/// The few protobuf wire-format operations needed to read spiece.model: varints, fixed32,
/// length-delimited values, field skipping.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly bool AtEnd => _pos >= _data.Length;

    public (int Field, int WireType) ReadTag()
    {
        ulong tag = ReadVarint();
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = Next();
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
        throw new InvalidDataException($"varint longer than 10 bytes at byte {_pos}");
    }

    public uint ReadFixed32()
    {
        Need(4);
        uint v = BitConverter.ToUInt32(_data.Slice(_pos, 4));
        _pos += 4;
        return v;
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _pos))
        {
            throw new InvalidDataException($"length {length} at byte {_pos} runs past the end of the data");
        }
        var slice = _data.Slice(_pos, (int)length);
        _pos += (int)length;
        return slice;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Need(8); _pos += 8; break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: Need(4); _pos += 4; break;
            default: throw new InvalidDataException($"unsupported wire type {wireType} at byte {_pos}");
        }
    }

    private byte Next()
    {
        Need(1);
        return _data[_pos++];
    }

    private readonly void Need(int n)
    {
        if (_pos + n > _data.Length)
        {
            throw new InvalidDataException($"data ends at byte {_data.Length} in the middle of a field");
        }
    }
}
