using Acclimate.Errors;
using Acclimate.Tokenization.Bpe;
using Acclimate.Tokenization.Config;
using Acclimate.Tokenization.SentencePiece;
using Acclimate.Tokenization.WordPiece;

namespace Acclimate.Tokenization;

/// <summary>Loads the tokenizer of a HuggingFace model folder from its classic vocabulary files.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// Loads the tokenizer in <paramref name="dir"/>: vocab.txt gives WordPiece (BERT), vocab.json +
    /// merges.txt give byte-level BPE (RoBERTa), spiece.model gives SentencePiece (ALBERT). Settings
    /// come from tokenizer_config.json when present, HF's defaults otherwise. When several vocabularies
    /// are present, tokenizer_class decides, then the order above.
    /// </summary>
    /// <exception cref="TokenizerException">The folder or its vocabulary is missing or malformed.</exception>
    public static ITextTokenizer FromFolder(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        if (!Directory.Exists(dir))
        {
            throw new TokenizerException($"Model folder {dir} does not exist.");
        }
        var config = TokenizerConfigFile.Load(dir);
        bool hasWordPiece = File.Exists(Path.Combine(dir, WordPieceTextTokenizer.VocabFileName));
        bool hasVocabJson = File.Exists(Path.Combine(dir, ByteLevelBpeTextTokenizer.VocabFileName));
        bool hasMerges = File.Exists(Path.Combine(dir, ByteLevelBpeTextTokenizer.MergesFileName));
        bool hasSentencePiece = File.Exists(Path.Combine(dir, SentencePieceTextTokenizer.ModelFileName));

        var preferred = PreferredKind(config.TokenizerClass);
        bool usable(TokenizerKind k) => k switch
        {
            TokenizerKind.WordPiece => hasWordPiece,
            TokenizerKind.ByteLevelBpe => hasVocabJson && hasMerges,
            _ => hasSentencePiece,
        };
        TokenizerKind? kind = preferred is { } p && usable(p) ? p
            : hasWordPiece ? TokenizerKind.WordPiece
            : hasVocabJson && hasMerges ? TokenizerKind.ByteLevelBpe
            : hasSentencePiece ? TokenizerKind.SentencePiece
            : null;

        return kind switch
        {
            TokenizerKind.WordPiece => WordPieceTextTokenizer.Load(dir, config),
            TokenizerKind.ByteLevelBpe => ByteLevelBpeTextTokenizer.Load(dir, config),
            TokenizerKind.SentencePiece => SentencePieceTextTokenizer.Load(dir, config),
            _ when hasVocabJson => throw new TokenizerException(
                $"Model folder {dir} has vocab.json but no merges.txt; byte-level BPE needs both."),
            _ when hasMerges => throw new TokenizerException(
                $"Model folder {dir} has merges.txt but no vocab.json; byte-level BPE needs both."),
            _ => throw new TokenizerException(
                $"No tokenizer vocabulary in model folder {dir}: expected vocab.txt, vocab.json+merges.txt, or spiece.model."),
        };
    }

    private static TokenizerKind? PreferredKind(string? tokenizerClass)
    {
        if (tokenizerClass is null)
        {
            return null;
        }
        string c = tokenizerClass.ToLowerInvariant();
        if (c.StartsWith("roberta", StringComparison.Ordinal) || c.StartsWith("gpt2", StringComparison.Ordinal)
            || c.StartsWith("longformer", StringComparison.Ordinal) || c.StartsWith("bart", StringComparison.Ordinal))
        {
            return TokenizerKind.ByteLevelBpe;
        }
        if (c.StartsWith("albert", StringComparison.Ordinal))
        {
            return TokenizerKind.SentencePiece;
        }
        if (c.StartsWith("bert", StringComparison.Ordinal) || c.StartsWith("electra", StringComparison.Ordinal)
            || c.StartsWith("distilbert", StringComparison.Ordinal))
        {
            return TokenizerKind.WordPiece;
        }
        return null;
    }
}
