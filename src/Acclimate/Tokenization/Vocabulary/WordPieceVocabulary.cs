using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.Tokenization.Config;
using Acclimate.IO;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>
/// A trained WordPiece vocabulary: the tokens in id order (special tokens first) and the
/// normalization they were trained with. <see cref="Save"/> writes a HuggingFace tokenizer folder.
/// </summary>
public sealed class WordPieceVocabulary
{
    internal WordPieceVocabulary(string[] tokens, WordPieceTrainerOptions options, int alphabetSize, int alphabetTokens, int merges,
        int wordsUsed, int wordsSkipped)
    {
        Tokens = tokens;
        Options = options;
        AlphabetSize = alphabetSize;
        AlphabetTokens = alphabetTokens;
        Merges = merges;
        WordsUsed = wordsUsed;
        WordsSkipped = wordsSkipped;
    }

    /// <summary>The tokens; the index is the id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The training settings (normalization and special tokens).</summary>
    public WordPieceTrainerOptions Options { get; }

    /// <summary>Distinct characters kept.</summary>
    public int AlphabetSize { get; }

    /// <summary>Tokens before the first merge: special tokens plus each character as 'c' and '##c'.</summary>
    public int AlphabetTokens { get; }

    /// <summary>Merges performed (a merge that recreates an existing piece adds no token).</summary>
    public int Merges { get; }

    /// <summary>Distinct words trained on.</summary>
    public int WordsUsed { get; }

    /// <summary>Distinct words left out (a character outside the alphabet, or too long).</summary>
    public int WordsSkipped { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Tokens.Count;

    /// <summary>
    /// Writes vocab.txt, tokenizer_config.json (BertTokenizer with this normalization) and
    /// special_tokens_map.json into <paramref name="folder"/> (created if needed), each file through
    /// a temporary name renamed into place. Other files in the folder are left alone, except that a
    /// folder holding a tokenizer.json is refused: HF would load that file instead of this vocabulary.
    /// </summary>
    public void Save(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var fast = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(fast))
            throw new TokenizerException($"{fast} exists: HuggingFace would load it instead of the new vocab.txt; save into a folder without tokenizer.json.");
        Directory.CreateDirectory(folder);
        var vocab = new StringBuilder(Tokens.Count * 8);
        foreach (var t in Tokens) vocab.Append(t).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, "vocab.txt"), vocab.ToString());

        var o = Options;
        var map = new JsonObject
        {
            ["unk_token"] = o.UnkToken,
            ["sep_token"] = o.SepToken,
            ["pad_token"] = o.PadToken,
            ["cls_token"] = o.ClsToken,
            ["mask_token"] = o.MaskToken,
        };
        if (o.AdditionalSpecialTokens.Count > 0)
            map["additional_special_tokens"] = new JsonArray(o.AdditionalSpecialTokens.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        var config = new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer",
            ["do_lower_case"] = o.Lowercase,
            ["strip_accents"] = o.StripAccents,
            ["tokenize_chinese_chars"] = o.TokenizeChineseChars,
            ["model_max_length"] = o.ModelMaxLength,
        };
        foreach (var (key, value) in map) config[key] = value?.DeepClone();
        TokenizerJson.Write(Path.Combine(folder, TokenizerConfigFile.FileName), config);
        TokenizerJson.Write(Path.Combine(folder, TokenizerConfigFile.SpecialTokensMapFileName), map);
    }
}
