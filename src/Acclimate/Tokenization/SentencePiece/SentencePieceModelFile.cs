using System.Text;
using Acclimate.Errors;

namespace Acclimate.Tokenization.SentencePiece;

/// <summary>A piece of a SentencePiece vocabulary.</summary>
internal readonly record struct SentencePieceEntry(string Piece, float Score, int Type)
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;
}

/// <summary>
/// The parts of a SentencePiece ModelProto (spiece.model) the tokenizer needs, read with a tiny
/// protobuf wire-format reader: pieces with scores and types, the model type, unk_id and the
/// normalizer's precompiled character map.
/// </summary>
internal sealed class SentencePieceModelFile
{
    // ModelProto fields.
    private const int PiecesField = 1, TrainerSpecField = 2, NormalizerSpecField = 3;

    // SentencePiece fields.
    private const int PieceField = 1, ScoreField = 2, TypeField = 3;

    // TrainerSpec fields.
    private const int ModelTypeField = 3, UnkIdField = 40;

    // NormalizerSpec fields.
    private const int PrecompiledCharsmapField = 2;

    private const int UnigramModelType = 1;

    private SentencePieceModelFile(byte[] bytes, List<SentencePieceEntry> pieces, int modelType, int unkId, byte[] charsmap)
    {
        Bytes = bytes;
        Pieces = pieces;
        ModelType = modelType;
        UnkId = unkId;
        PrecompiledCharsmap = charsmap;
    }

    /// <summary>The file as read, unchanged (what SaveTo writes back).</summary>
    public byte[] Bytes { get; }

    public IReadOnlyList<SentencePieceEntry> Pieces { get; }

    public int ModelType { get; }

    public bool IsUnigram => ModelType == UnigramModelType;

    public int UnkId { get; }

    /// <summary>The normalizer's precompiled character map (empty when the model has none).</summary>
    public byte[] PrecompiledCharsmap { get; }

    public static SentencePieceModelFile Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new TokenizerException($"{path}: cannot read the SentencePiece model: {e.Message}", e);
        }
        try
        {
            return Parse(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new TokenizerException($"{path}: not a valid SentencePiece model (protobuf ModelProto): {e.Message}", e);
        }
    }

    private static SentencePieceModelFile Parse(byte[] bytes)
    {
        var pieces = new List<SentencePieceEntry>();
        int modelType = UnigramModelType, unkId = 0;
        byte[] charsmap = [];
        var reader = new ProtoReader(bytes);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == PiecesField && wire == ProtoReader.LengthDelimited)
            {
                pieces.Add(ParsePiece(reader.ReadBytes()));
            }
            else if (field == TrainerSpecField && wire == ProtoReader.LengthDelimited)
            {
                var spec = new ProtoReader(reader.ReadBytes());
                while (!spec.AtEnd)
                {
                    var (f, w) = spec.ReadTag();
                    if (f == ModelTypeField && w == ProtoReader.Varint) modelType = (int)spec.ReadVarint();
                    else if (f == UnkIdField && w == ProtoReader.Varint) unkId = (int)spec.ReadVarint();
                    else spec.Skip(w);
                }
            }
            else if (field == NormalizerSpecField && wire == ProtoReader.LengthDelimited)
            {
                var spec = new ProtoReader(reader.ReadBytes());
                while (!spec.AtEnd)
                {
                    var (f, w) = spec.ReadTag();
                    if (f == PrecompiledCharsmapField && w == ProtoReader.LengthDelimited) charsmap = spec.ReadBytes().ToArray();
                    else spec.Skip(w);
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }
        if (pieces.Count == 0)
        {
            throw new InvalidDataException("the model has no pieces");
        }
        if (unkId < 0 || unkId >= pieces.Count)
        {
            throw new InvalidDataException($"unk_id {unkId} is outside the {pieces.Count} pieces");
        }
        return new SentencePieceModelFile(bytes, pieces, modelType, unkId, charsmap);
    }

    private static SentencePieceEntry ParsePiece(ReadOnlySpan<byte> data)
    {
        string piece = "";
        float score = 0;
        int type = SentencePieceEntry.Normal;
        var r = new ProtoReader(data);
        while (!r.AtEnd)
        {
            var (f, w) = r.ReadTag();
            if (f == PieceField && w == ProtoReader.LengthDelimited) piece = Encoding.UTF8.GetString(r.ReadBytes());
            else if (f == ScoreField && w == ProtoReader.Fixed32) score = BitConverter.UInt32BitsToSingle(r.ReadFixed32());
            else if (f == TypeField && w == ProtoReader.Varint) type = (int)r.ReadVarint();
            else r.Skip(w);
        }
        return new SentencePieceEntry(piece, score, type);
    }
}
