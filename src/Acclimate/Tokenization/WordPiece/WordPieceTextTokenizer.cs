using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.Tokenization.Config;
using Acclimate.Tokenization.Pipeline;
using MlWordPiece = Microsoft.ML.Tokenizers.WordPieceTokenizer;
using MlWordPieceOptions = Microsoft.ML.Tokenizers.WordPieceOptions;
using Acclimate.IO;

namespace Acclimate.Tokenization.WordPiece;

/// <summary>
/// BERT tokenizer over vocab.txt: our BertNormalizer + BertPreTokenizer (for HF-exact offsets), then
/// Microsoft.ML.Tokenizers' WordPiece on each word.
/// </summary>
internal sealed class WordPieceTextTokenizer : TextTokenizerBase
{
    public const string VocabFileName = "vocab.txt";
    private const string ContinuingSubwordPrefix = "##";
    private const int MaxInputCharsPerWord = 100;

    private readonly string[] _idToToken;
    private readonly Dictionary<string, int> _tokenToId;
    private readonly MlWordPiece _model;
    private readonly BertTextNormalizer _normalizer;
    private readonly bool? _stripAccentsSetting;
    private readonly JsonObject _config;

    private WordPieceTextTokenizer(string[] idToToken, Dictionary<string, int> tokenToId, MlWordPiece model,
        BertTextNormalizer normalizer, bool? stripAccentsSetting, SpecialTokenSet specials, IEnumerable<AddedToken> added, JsonObject config)
        : base(specials, added, robertaPairTemplate: false)
    {
        _idToToken = idToToken;
        _tokenToId = tokenToId;
        _model = model;
        _normalizer = normalizer;
        _stripAccentsSetting = stripAccentsSetting;
        _config = config;
    }

    public override TokenizerKind Kind => TokenizerKind.WordPiece;

    public override int VocabSize => _idToToken.Length;

    public override string IdToToken(int id) => (uint)id < (uint)_idToToken.Length
        ? _idToToken[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token ids go from 0 to {_idToToken.Length - 1}.");

    public override int? TokenToId(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    /// <summary>The normalizer this vocabulary was loaded with (vocabulary training and extension split words with it).</summary>
    internal BertTextNormalizer Normalizer => _normalizer;

    /// <summary>The WordPiece ids of one already normalized, pre-tokenized word (a single [UNK] when it cannot be split).</summary>
    internal IReadOnlyList<int> TokenizeWord(string word)
    {
        int codePoints = 0;
        foreach (var _ in word.EnumerateRunes()) codePoints++;
        if (codePoints > MaxInputCharsPerWord) return [UnkTokenId];
        return _model.EncodeToTokens(word, out _, considerPreTokenization: false, considerNormalization: false).Select(t => t.Id).ToArray();
    }

    public static WordPieceTextTokenizer Load(string folder, TokenizerConfigFile config)
    {
        string vocabPath = Path.Combine(folder, VocabFileName);
        var (idToToken, tokenToId) = ReadVocab(vocabPath);

        // HF's defaults: lower-case, strip accents when lower-casing, split CJK characters.
        bool lowercase = config.GetBool("do_lower_case") ?? true;
        bool? stripAccents = config.GetBool("strip_accents");
        bool chinese = config.GetBool("tokenize_chinese_chars") ?? true;
        var normalizer = new BertTextNormalizer(lowercase, stripAccents ?? lowercase, chinese);

        int? Lookup(string t) => tokenToId.TryGetValue(t, out int id) ? id : null;
        var unk = SpecialTokenResolver.Resolve(config, "unk_token", "[UNK]", false, Lookup, vocabPath);
        var sep = SpecialTokenResolver.Resolve(config, "sep_token", "[SEP]", false, Lookup, vocabPath);
        var pad = SpecialTokenResolver.Resolve(config, "pad_token", "[PAD]", false, Lookup, vocabPath);
        var cls = SpecialTokenResolver.Resolve(config, "cls_token", "[CLS]", false, Lookup, vocabPath);
        var mask = SpecialTokenResolver.Resolve(config, "mask_token", "[MASK]", false, Lookup, vocabPath);
        var specials = new SpecialTokenSet(SpecialTokenResolver.ToSpecial(cls), SpecialTokenResolver.ToSpecial(sep),
            SpecialTokenResolver.ToSpecial(pad), SpecialTokenResolver.ToSpecial(mask), SpecialTokenResolver.ToSpecial(unk));

        var model = CreateModel(idToToken, tokenToId, unk.Content);
        return new WordPieceTextTokenizer(idToToken, tokenToId, model, normalizer, stripAccents, specials,
            [pad, unk, cls, sep, mask], config.CloneConfig());
    }

    /// <summary>Reads vocab.txt as HF does: line number = id, trailing whitespace trimmed, a repeated token keeps its last id.</summary>
    private static (string[] IdToToken, Dictionary<string, int> TokenToId) ReadVocab(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path, Encoding.UTF8);
        }
        catch (IOException e)
        {
            throw new TokenizerException($"{path}: cannot read the vocabulary: {e.Message}", e);
        }
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i] = lines[i].TrimEnd();
        }
        if (lines.All(l => l.Length == 0))
        {
            throw new TokenizerException($"{path}: the vocabulary is empty; expected one token per line.");
        }
        var tokenToId = new Dictionary<string, int>(lines.Length, StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length > 0)
            {
                tokenToId[lines[i]] = i;
            }
        }
        return (lines, tokenToId);
    }

    private static MlWordPiece CreateModel(string[] idToToken, Dictionary<string, int> tokenToId, string unkToken)
    {
        // The ML.NET reader takes line numbers as ids and skips empty lines; blank out the earlier copy of
        // a repeated token so it keeps HF's "last one wins" instead of throwing.
        var sb = new StringBuilder(idToToken.Length * 8);
        for (int i = 0; i < idToToken.Length; i++)
        {
            string t = idToToken[i];
            sb.Append(t.Length > 0 && tokenToId[t] == i ? t : string.Empty).Append('\n');
        }
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(sb.ToString()));
        return MlWordPiece.Create(stream, new MlWordPieceOptions
        {
            UnknownToken = unkToken,
            ContinuingSubwordPrefix = ContinuingSubwordPrefix,
            // We enforce HF's limit ourselves in code points; ML.NET counts UTF-16 units, so give it room for surrogate pairs.
            MaxInputCharsPerWord = 2 * MaxInputCharsPerWord,
        });
    }

    protected override void EncodePiece(AlignedString piece, List<RawToken> output, ref int word)
    {
        _normalizer.Normalize(piece);
        foreach (var w in BertTextNormalizer.PreTokenize(piece))
        {
            if (w.Length > MaxInputCharsPerWord)
            {
                var (s, e) = w.OriginalSpan(0, w.Length);
                output.Add(new RawToken(UnkTokenId, UnkToken, s, e, word));
            }
            else
            {
                string text = w.ToText(out int[] map);
                foreach (var t in _model.EncodeToTokens(text, out _, considerPreTokenization: false, considerNormalization: false))
                {
                    var (o, l) = t.Offset.GetOffsetAndLength(text.Length);
                    var (s, e) = w.OriginalSpan(map[o], map[o + l]);
                    output.Add(new RawToken(t.Id, t.Value, s, e, word));
                }
            }
            word++;
        }
    }

    public override void SaveTo(string folder)
    {
        Directory.CreateDirectory(folder);
        var vocab = new StringBuilder(_idToToken.Length * 8);
        foreach (var t in _idToToken)
        {
            vocab.Append(t).Append('\n');
        }
        AtomicFile.WriteAllText(Path.Combine(folder, VocabFileName), vocab.ToString());

        var config = (JsonObject)_config.DeepClone();
        config["tokenizer_class"] ??= "BertTokenizer";
        config["do_lower_case"] = _normalizer.Lowercase;
        config["strip_accents"] = _stripAccentsSetting;
        config["tokenize_chinese_chars"] = _normalizer.HandleChineseChars;
        var map = SpecialTokensMap();
        foreach (var (key, value) in map)
        {
            config[key] = value?.DeepClone();
        }
        TokenizerJson.Write(Path.Combine(folder, TokenizerConfigFile.FileName), config);
        TokenizerJson.Write(Path.Combine(folder, TokenizerConfigFile.SpecialTokensMapFileName), map);
    }

    private JsonObject SpecialTokensMap() => new()
    {
        ["unk_token"] = UnkToken,
        ["sep_token"] = SepToken,
        ["pad_token"] = PadToken,
        ["cls_token"] = ClsToken,
        ["mask_token"] = MaskToken,
    };
}
