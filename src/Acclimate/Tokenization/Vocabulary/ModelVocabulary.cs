using Acclimate.Errors;
using Acclimate.Models;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>Checks that a model folder's embedding table and its tokenizer agree on the vocabulary size.</summary>
public static class ModelVocabulary
{
    /// <summary>
    /// Throws <see cref="CheckpointException"/> naming config.json, the vocabulary file and both sizes
    /// when <paramref name="config"/>'s vocab_size differs from <paramref name="tokenizer"/>'s.
    /// </summary>
    public static void EnsureSizesMatch(string folder, EncoderConfig config, ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (config.VocabSize == tokenizer.VocabSize) return;
        var configPath = config.SourcePath ?? Path.Combine(folder, "config.json");
        var vocabFile = tokenizer.Kind switch
        {
            TokenizerKind.WordPiece => "vocab.txt",
            TokenizerKind.ByteLevelBpe => "vocab.json",
            _ => "spiece.model",
        };
        throw new CheckpointException(
            $"{folder}: vocab/model size mismatch: {configPath} says vocab_size {config.VocabSize} but {Path.Combine(folder, vocabFile)} " +
            $"holds {tokenizer.VocabSize} tokens; the embedding matrix must have one row per token id. " +
            (tokenizer.VocabSize > config.VocabSize
                ? "Tokens past the embedding table would index out of range."
                : "Extending would give new tokens ids that already have embedding rows.") +
            " Fix config.json or the tokenizer files so that they describe the same vocabulary.");
    }
}
