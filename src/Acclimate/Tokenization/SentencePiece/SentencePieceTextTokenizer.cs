using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.Tokenization.Config;
using Acclimate.Tokenization.Pipeline;
using Acclimate.Tokenization.Unicode;
using Acclimate.IO;

namespace Acclimate.Tokenization.SentencePiece;

/// <summary>
/// ALBERT tokenizer over spiece.model: the AlbertConverter normalizer and pre-tokenizer (for HF-exact
/// offsets), then HF's unigram Viterbi on each word (<see cref="UnigramModel"/>, in double precision
/// because Microsoft.ML.Tokenizers' float32 lattice resolves ties differently).
/// </summary>
internal sealed class SentencePieceTextTokenizer : TextTokenizerBase
{
    public const string ModelFileName = "spiece.model";

    private readonly SentencePieceModelFile _file;
    private readonly Dictionary<string, int> _tokenToId;
    private readonly UnigramModel _model;
    private readonly AlbertTextNormalizer _normalizer;
    private readonly JsonObject _config;

    private SentencePieceTextTokenizer(SentencePieceModelFile file, Dictionary<string, int> tokenToId, UnigramModel model,
        AlbertTextNormalizer normalizer, SpecialTokenSet specials, IEnumerable<AddedToken> added, JsonObject config)
        : base(specials, added, robertaPairTemplate: false)
    {
        _file = file;
        _tokenToId = tokenToId;
        _model = model;
        _normalizer = normalizer;
        _config = config;
    }

    public override TokenizerKind Kind => TokenizerKind.SentencePiece;

    public override int VocabSize => _file.Pieces.Count;

    public override string IdToToken(int id) => (uint)id < (uint)_file.Pieces.Count
        ? _file.Pieces[id].Piece
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token ids go from 0 to {_file.Pieces.Count - 1}.");

    public override int? TokenToId(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    public static SentencePieceTextTokenizer Load(string folder, TokenizerConfigFile config)
    {
        string path = Path.Combine(folder, ModelFileName);
        var file = SentencePieceModelFile.Read(path);
        if (!file.IsUnigram)
        {
            throw new TokenizerException(
                $"{path}: SentencePiece model type {file.ModelType} is not supported; expected a unigram model (type 1) as ALBERT uses.");
        }
        var tokenToId = new Dictionary<string, int>(file.Pieces.Count, StringComparer.Ordinal);
        for (int i = 0; i < file.Pieces.Count; i++)
        {
            tokenToId[file.Pieces[i].Piece] = i;
        }

        int? Lookup(string t) => tokenToId.TryGetValue(t, out int id) ? id : null;
        var unk = SpecialTokenResolver.Resolve(config, "unk_token", "<unk>", false, Lookup, path);
        var sep = SpecialTokenResolver.Resolve(config, "sep_token", "[SEP]", false, Lookup, path);
        var pad = SpecialTokenResolver.Resolve(config, "pad_token", "<pad>", false, Lookup, path);
        var cls = SpecialTokenResolver.Resolve(config, "cls_token", "[CLS]", false, Lookup, path);
        // AlbertTokenizer makes its mask token swallow the space before it.
        var mask = SpecialTokenResolver.Resolve(config, "mask_token", "[MASK]", true, Lookup, path);
        var bos = SpecialTokenResolver.Resolve(config, "bos_token", "[CLS]", false, Lookup, path);
        var eos = SpecialTokenResolver.Resolve(config, "eos_token", "[SEP]", false, Lookup, path);
        var specials = new SpecialTokenSet(SpecialTokenResolver.ToSpecial(cls), SpecialTokenResolver.ToSpecial(sep),
            SpecialTokenResolver.ToSpecial(pad), SpecialTokenResolver.ToSpecial(mask), SpecialTokenResolver.ToSpecial(unk),
            [SpecialTokenResolver.ToSpecial(bos), SpecialTokenResolver.ToSpecial(eos)]);

        PrecompiledCharsMap? charsMap;
        try
        {
            charsMap = PrecompiledCharsMap.TryParse(file.PrecompiledCharsmap);
        }
        catch (InvalidDataException e)
        {
            throw new TokenizerException($"{path}: {e.Message}", e);
        }
        var normalizer = new AlbertTextNormalizer(
            config.GetBool("do_lower_case") ?? true, config.GetBool("keep_accents") ?? false, charsMap);

        var model = new UnigramModel(HfVocabulary(file), file.UnkId);
        var added = new[] { pad, unk, cls, sep, mask, bos, eos }
            .GroupBy(t => t.Content, StringComparer.Ordinal).Select(g => g.First());
        return new SentencePieceTextTokenizer(file, tokenToId, model, normalizer, specials, added, config.CloneConfig());
    }

    /// <summary>
    /// Pieces and scores as transformers' AlbertConverter writes them into tokenizer.json and HF reads
    /// them back: a piece ending in a digit and a comma ("▁1,", "2010,") loses 100, so numbers like
    /// "1,000" are not cut after the comma (in double, as Python does); then the JSON round trip
    /// (<see cref="HubScoreRounding"/>).
    /// </summary>
    private static List<(string, double)> HfVocabulary(SentencePieceModelFile file)
    {
        var vocabulary = new List<(string, double)>(file.Pieces.Count);
        foreach (var entry in file.Pieces)
        {
            var runes = entry.Piece.EnumerateRunes().ToArray();
            bool digitComma = runes.Length >= 2 && runes[^1].Value == ',' && CharRules.IsPythonDigit(runes[^2].Value);
            double score = entry.Score;
            vocabulary.Add((entry.Piece, HubScoreRounding.AsReadFromJson(digitComma ? score - 100 : score)));
        }
        return vocabulary;
    }

    protected override void EncodePiece(AlignedString piece, List<RawToken> output, ref int word)
    {
        _normalizer.Normalize(piece);
        foreach (var w in AlbertTextNormalizer.PreTokenize(piece))
        {
            string text = w.ToText(out int[] map);
            foreach (var t in _model.Encode(text))
            {
                var (s, e) = w.OriginalSpan(map[t.Start], map[t.End]);
                output.Add(new RawToken(t.Id, t.Value, s, e, word));
            }
            word++;
        }
    }

    public override void SaveTo(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllBytes(Path.Combine(folder, ModelFileName), _file.Bytes);
        var map = SpecialTokensMap();
        var config = (JsonObject)_config.DeepClone();
        config["tokenizer_class"] ??= "AlbertTokenizer";
        config["do_lower_case"] = _normalizer.Lowercase;
        config["keep_accents"] = _normalizer.KeepAccents;
        config["remove_space"] ??= true;
        foreach (var (key, value) in map)
        {
            config[key] = value?.DeepClone();
        }
        TokenizerJson.Write(Path.Combine(folder, TokenizerConfigFile.FileName), config);
        TokenizerJson.Write(Path.Combine(folder, TokenizerConfigFile.SpecialTokensMapFileName), map);
    }

    private JsonObject SpecialTokensMap()
    {
        var maskToken = AddedTokens.First(t => t.Id == MaskTokenId && t.Content == MaskToken);
        return new JsonObject
        {
            ["bos_token"] = Specials.Others![0].Content,
            ["eos_token"] = Specials.Others[1].Content,
            ["unk_token"] = UnkToken,
            ["sep_token"] = SepToken,
            ["pad_token"] = PadToken,
            ["cls_token"] = ClsToken,
            ["mask_token"] = new JsonObject
            {
                ["content"] = maskToken.Content,
                ["single_word"] = false,
                ["lstrip"] = maskToken.LStrip,
                ["rstrip"] = maskToken.RStrip,
                ["normalized"] = false,
            },
        };
    }
}
