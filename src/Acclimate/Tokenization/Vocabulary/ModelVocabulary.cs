using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>Checks that a model folder's embedding table and its tokenizer agree on the vocabulary size.</summary>
public static class ModelVocabulary
{
    /// <summary>
    /// Throws <see cref="CheckpointException"/> naming config.json, the vocabulary file and both sizes
    /// when the tokenizer has more ids than the model has embedding rows (its ids would index out of
    /// range) or, with <paramref name="requireEqual"/>, when the sizes differ at all (vocabulary
    /// extension appends after the last row). HF allows a larger embedding than the tokenizer
    /// (padded vocabularies), so that case alone passes when <paramref name="requireEqual"/> is false.
    /// </summary>
    public static void EnsureSizesMatch(string folder, EncoderConfig config, ITextTokenizer tokenizer, bool requireEqual = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (config.VocabSize == tokenizer.VocabSize || (!requireEqual && tokenizer.VocabSize < config.VocabSize)) return;
        var configPath = config.SourcePath ?? Path.Combine(folder, PretrainedModel.ConfigFileName);
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
                ? "Token ids past the embedding table would index out of range."
                : "Extending would give new tokens ids that already have embedding rows.") +
            " Fix config.json or the tokenizer files so that they describe the same vocabulary.");
    }

    /// <summary>
    /// Loads <paramref name="folder"/>'s tokenizer and, when the folder has a config.json, checks it
    /// against the model's vocab_size (<see cref="EnsureSizesMatch"/>).
    /// </summary>
    public static ITextTokenizer LoadTokenizerChecked(string folder, bool requireEqual = false)
    {
        var tokenizer = TokenizerLoader.FromFolder(folder);
        var configPath = Path.Combine(folder, PretrainedModel.ConfigFileName);
        if (File.Exists(configPath)) EnsureSizesMatch(folder, EncoderConfig.Load(configPath), tokenizer, requireEqual);
        return tokenizer;
    }
}
