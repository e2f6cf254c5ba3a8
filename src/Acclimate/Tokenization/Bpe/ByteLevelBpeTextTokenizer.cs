using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Tokenization.Config;
using Acclimate.Tokenization.Pipeline;
using Acclimate.Tokenization.Unicode;
using MlBpe = Microsoft.ML.Tokenizers.BpeTokenizer;
using MlBpeOptions = Microsoft.ML.Tokenizers.BpeOptions;
using Acclimate.IO;

namespace Acclimate.Tokenization.Bpe;

/// <summary>
/// RoBERTa tokenizer: GPT-2 split + byte-to-character mapping (ours, keeping HF's offsets), then
/// Microsoft.ML.Tokenizers' BPE merges on each word, then RobertaProcessing's offset trimming.
/// </summary>
internal sealed class ByteLevelBpeTextTokenizer : TextTokenizerBase
{
    public const string VocabFileName = "vocab.json";
    public const string MergesFileName = "merges.txt";

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _idToToken;
    private readonly List<(string Left, string Right)> _merges;
    private readonly MlBpe _model;
    private readonly bool _addPrefixSpace;
    private readonly bool _trimOffsets;
    private readonly int _vocabSize;
    private readonly JsonObject _config;

    private ByteLevelBpeTextTokenizer(Dictionary<string, int> vocab, List<(string, string)> merges, MlBpe model,
        bool addPrefixSpace, bool trimOffsets, SpecialTokenSet specials, IEnumerable<AddedToken> added, JsonObject config)
        : base(specials, added, robertaPairTemplate: true)
    {
        _vocab = vocab;
        _merges = merges;
        _model = model;
        _addPrefixSpace = addPrefixSpace;
        _trimOffsets = trimOffsets;
        _config = config;
        _idToToken = new Dictionary<int, string>(vocab.Count);
        foreach (var (token, id) in vocab)
        {
            _idToToken.TryAdd(id, token);
        }
        _vocabSize = vocab.Values.Max() + 1;
    }

    public override TokenizerKind Kind => TokenizerKind.ByteLevelBpe;

    public override int VocabSize => _vocabSize;

    public override string IdToToken(int id) => _idToToken.TryGetValue(id, out var t)
        ? t
        : throw new ArgumentOutOfRangeException(nameof(id), id, "No token has this id in vocab.json.");

    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    public static ByteLevelBpeTextTokenizer Load(string folder, TokenizerConfigFile config)
    {
        string vocabPath = Path.Combine(folder, VocabFileName);
        var vocab = BpeVocabularyFiles.ReadVocab(vocabPath);
        var merges = BpeVocabularyFiles.ReadMerges(Path.Combine(folder, MergesFileName), vocab);

        int? Lookup(string t) => vocab.TryGetValue(t, out int id) ? id : null;
        var bos = SpecialTokenResolver.Resolve(config, "bos_token", "<s>", false, Lookup, vocabPath);
        var eos = SpecialTokenResolver.Resolve(config, "eos_token", "</s>", false, Lookup, vocabPath);
        var unk = SpecialTokenResolver.Resolve(config, "unk_token", "<unk>", false, Lookup, vocabPath);
        var sep = SpecialTokenResolver.Resolve(config, "sep_token", "</s>", false, Lookup, vocabPath);
        var cls = SpecialTokenResolver.Resolve(config, "cls_token", "<s>", false, Lookup, vocabPath);
        var pad = SpecialTokenResolver.Resolve(config, "pad_token", "<pad>", false, Lookup, vocabPath);
        // RobertaTokenizer makes its mask token swallow the space before it.
        var mask = SpecialTokenResolver.Resolve(config, "mask_token", "<mask>", true, Lookup, vocabPath);
        var specials = new SpecialTokenSet(SpecialTokenResolver.ToSpecial(cls), SpecialTokenResolver.ToSpecial(sep),
            SpecialTokenResolver.ToSpecial(pad), SpecialTokenResolver.ToSpecial(mask), SpecialTokenResolver.ToSpecial(unk),
            [SpecialTokenResolver.ToSpecial(bos), SpecialTokenResolver.ToSpecial(eos)]);

        var model = MlBpe.Create(new MlBpeOptions(vocab)
        {
            Merges = merges.Select(m => m.Left + " " + m.Right).ToList(),
        });
        return new ByteLevelBpeTextTokenizer(vocab, merges, model,
            config.GetBool("add_prefix_space") ?? false, config.GetBool("trim_offsets") ?? true,
            specials, Distinct([bos, pad, eos, unk, mask, cls, sep]), config.CloneConfig());
    }

    private static IEnumerable<AddedToken> Distinct(IEnumerable<AddedToken> tokens) =>
        tokens.GroupBy(t => t.Content, StringComparer.Ordinal).Select(g => g.First());

    protected override void EncodePiece(AlignedString piece, List<RawToken> output, ref int word)
    {
        if (_addPrefixSpace && piece.Length > 0 && piece[0] != ' ')
        {
            piece.Prepend([' ']);
        }
        foreach (var w in piece.Split(Gpt2PreTokenizer.FindMatches(piece), SplitBehavior.Isolated))
        {
            ToBytes(w);
            // Every byte character is in the BMP, so UTF-16 indices of the text are code point indices of w.
            string text = w.ToString();
            foreach (var t in _model.EncodeToTokens(text, out _, considerPreTokenization: false, considerNormalization: false))
            {
                var (o, l) = t.Offset.GetOffsetAndLength(text.Length);
                var (s, e) = w.OriginalSpan(o, o + l);
                output.Add(new RawToken(t.Id, t.Value, s, e, word));
            }
            word++;
        }
    }

    /// <summary>HF's ByteLevel step: each character becomes the byte characters of its UTF-8 encoding, all sharing its span.</summary>
    private static void ToBytes(AlignedString w)
    {
        var dest = new List<(int, int)>(w.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < w.Length; i++)
        {
            int count = new Rune(w[i]).EncodeToUtf8(utf8);
            for (int k = 0; k < count; k++)
            {
                dest.Add((ByteLevelAlphabet.Map(utf8[k]), k == 0 ? 0 : 1));
            }
        }
        w.Transform(dest, 0);
    }

    /// <summary>RobertaProcessing's trim_offsets: spans leave out leading and trailing spaces of the token.</summary>
    protected override void CompleteSequence(List<RawToken> tokens)
    {
        if (!_trimOffsets)
        {
            return;
        }
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            int leading = 0;
            while (leading < t.Value.Length && IsTrimmed(t.Value[leading]))
            {
                leading++;
            }
            int trailing = 0;
            while (trailing < t.Value.Length && IsTrimmed(t.Value[t.Value.Length - 1 - trailing]))
            {
                trailing++;
            }
            if (leading == 0 && trailing == 0)
            {
                continue;
            }
            int start = t.Start, end = t.End;
            if (leading > 0)
            {
                bool isFirst = i == 0 || start == 0;
                // A single space that add_prefix_space put in front of the first word is kept.
                if (!(isFirst && _addPrefixSpace && leading == 1))
                {
                    start = Math.Min(start + leading, end);
                }
            }
            if (trailing > 0 && end >= trailing)
            {
                end = Math.Max(end - trailing, start);
            }
            tokens[i] = t with { Start = start, End = end };
        }
    }

    private static bool IsTrimmed(char c) => ByteLevelAlphabet.IsSpace(c) || CharRules.IsWhitespace(c);

    public override void SaveTo(string folder)
    {
        Directory.CreateDirectory(folder);
        var vocab = new JsonObject();
        foreach (var (token, id) in _vocab.OrderBy(kv => kv.Value))
        {
            vocab[token] = id;
        }
        TokenizerJson.Write(Path.Combine(folder, VocabFileName), vocab);
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in _merges)
        {
            merges.Append(left).Append(' ').Append(right).Append('\n');
        }
        AtomicFile.WriteAllText(Path.Combine(folder, MergesFileName), merges.ToString());

        var map = SpecialTokensMap();
        var config = (JsonObject)_config.DeepClone();
        config["tokenizer_class"] ??= "RobertaTokenizer";
        config["add_prefix_space"] = _addPrefixSpace;
        config["trim_offsets"] = _trimOffsets;
        foreach (var (key, value) in map)
        {
            config[key] = value?.DeepClone();
        }
        TokenizerJson.Write(Path.Combine(folder, TokenizerConfigFile.FileName), config);
        TokenizerJson.Write(Path.Combine(folder, TokenizerConfigFile.SpecialTokensMapFileName), map);
    }

    private JsonObject SpecialTokensMap()
    {
        var bos = Specials.Others![0];
        var eos = Specials.Others[1];
        var maskToken = AddedTokens.First(t => t.Id == MaskTokenId && t.Content == MaskToken);
        return new JsonObject
        {
            ["bos_token"] = bos.Content,
            ["eos_token"] = eos.Content,
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
