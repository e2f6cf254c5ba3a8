using System.Text;
using Acclimate.Checkpoints;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization.Config;
using Acclimate.Tokenization.WordPiece;
using Acclimate.Training;
using static TorchSharp.torch;
using Acclimate.IO;

using Acclimate.Tokenization;
using Acclimate.Tokenization.Vocabulary;

namespace Acclimate.Adaptation.Vocabulary;

/// <summary>A word added to the vocabulary.</summary>
/// <param name="Word">The normalized word, now one token.</param>
/// <param name="Count">Occurrences in the selection part of the corpus.</param>
/// <param name="OldPieces">The pieces the old tokenizer cut it into (their embedding rows were averaged).</param>
/// <param name="OldPieceIds">The ids of <paramref name="OldPieces"/>.</param>
/// <param name="NewId">The word's id in the extended vocabulary.</param>
public sealed record AddedWord(string Word, long Count, IReadOnlyList<string> OldPieces, IReadOnlyList<int> OldPieceIds, int NewId);

/// <summary>What <see cref="VocabularyExtender.Extend"/> did.</summary>
/// <param name="OutputFolder">The extended model folder.</param>
/// <param name="OldVocabSize">Tokens before.</param>
/// <param name="NewVocabSize">Tokens after.</param>
/// <param name="Added">The new tokens in id order.</param>
/// <param name="SelectionWords">Word counts of the selection part.</param>
/// <param name="MeasuredOn">"held-out" or "all" documents.</param>
/// <param name="Before">Tokens per word with the old tokenizer.</param>
/// <param name="After">Tokens per word with the extended tokenizer.</param>
public sealed record VocabularyExtensionResult(string OutputFolder, int OldVocabSize, int NewVocabSize, IReadOnlyList<AddedWord> Added,
    WordFrequencies SelectionWords, string MeasuredOn, TokensPerWordReport Before, TokensPerWordReport After);

/// <summary>
/// Adds frequent domain words to a BERT-style model's WordPiece vocabulary, as whole-word tokens
/// appended after the old ones (every old id keeps its token and its embedding row), and grows the
/// model to match: each new embedding row — and so the tied MLM decoder row — is the mean of the
/// rows of the pieces the old tokenizer cut the word into (an untied decoder row is the mean of the
/// pieces' decoder rows, and the MLM output bias the mean of the pieces' biases). This is the exBERT / "add domain words"
/// recipe with mean-of-subwords initialization.
/// </summary>
public static class VocabularyExtender
{
    /// <summary>
    /// Extends the model in <paramref name="modelFolder"/> (config.json + weights + vocab.txt) with
    /// words from <paramref name="documents"/> (enumerated three times: selection, and measurement
    /// before and after) and writes the new HF folder <paramref name="outputFolder"/> at once
    /// (built beside it, then renamed into place).
    /// </summary>
    /// <exception cref="CheckpointException">config vocab_size and the tokenizer disagree, or the weights do not load.</exception>
    /// <exception cref="TokenizerException">The folder has no WordPiece vocabulary, or has added_tokens.json whose ids the new words would take.</exception>
    public static VocabularyExtensionResult Extend(string modelFolder, IEnumerable<CorpusDocument> documents, string outputFolder,
        VocabularyExtensionOptions? options = null, IProgress<VocabularyProgress>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFolder);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        options ??= new VocabularyExtensionOptions();
        options.Validate();

        var tokenizer = LoadWordPiece(modelFolder);
        var config = EncoderConfig.Load(Path.Combine(modelFolder, PretrainedModel.ConfigFileName));
        ModelVocabulary.EnsureSizesMatch(modelFolder, config, tokenizer);
        RefuseAddedTokensFile(modelFolder);

        bool heldOut(CorpusDocument d) => options.HeldOutFraction > 0 && DocumentSplit.IsHeldOut(d.Id, options.HeldOutFraction, options.SplitSalt);
        var words = WordFrequencies.Count(documents.Where(d => !heldOut(d)).Select(d => d.Text), new BertWordSplitter(tokenizer.Normalizer),
            options.Threads, progress);
        var added = SelectWords(tokenizer, words, options);
        if (added.Count == 0)
            throw new DataException($"no word qualifies for the vocabulary: none of the {words.Counts.Count:N0} distinct words occurs at least " +
                                    $"{options.MinFrequency} times while being cut into {options.MinPieces}+ pieces without [UNK]; lower --min-frequency or --min-pieces.");

        TorchRuntime.EnsureInitialized();
        var (model, _) = PretrainedModel.Load(modelFolder);
        using (model)
        {
            ModelVocabulary.EnsureSizesMatch(modelFolder, model.Config, tokenizer);
            GrowModel(model, added);
            AtomicFolder.Write(outputFolder, temp =>
            {
                PretrainedModel.Save(model, temp);
                WriteTokenizer(modelFolder, temp, added);
            });
        }

        var extended = TokenizerLoader.FromFolder(outputFolder);
        if (extended.VocabSize != tokenizer.VocabSize + added.Count)
            throw new TokenizerException($"{outputFolder}: the extended vocabulary reads back as {extended.VocabSize} tokens, expected {tokenizer.VocabSize + added.Count}.");
        var measured = documents.Where(heldOut).Any() ? documents.Where(heldOut) : documents;
        var measuredOn = ReferenceEquals(measured, documents) ? "all" : "held-out";
        var before = TokensPerWordReport.Measure(tokenizer, measured.Select(d => d.Text), options.Threads, progress);
        var after = TokensPerWordReport.Measure(extended, measured.Select(d => d.Text), options.Threads, progress);
        return new VocabularyExtensionResult(outputFolder, tokenizer.VocabSize, extended.VocabSize, added, words, measuredOn, before, after);
    }

    /// <summary>
    /// The words to add: not yet a token, at least <see cref="VocabularyExtensionOptions.MinFrequency"/>
    /// occurrences, cut into at least <see cref="VocabularyExtensionOptions.MinPieces"/> pieces none of
    /// which is [UNK]; the most frequent first (ties in ordinal order), at most
    /// <see cref="VocabularyExtensionOptions.WordsToAdd"/>. New ids follow the old vocabulary.
    /// </summary>
    public static IReadOnlyList<AddedWord> SelectWords(ITextTokenizer tokenizer, WordFrequencies words, VocabularyExtensionOptions options)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(options);
        var wordPiece = AsWordPiece(tokenizer, "the tokenizer");
        options.Validate();
        var chosen = new List<AddedWord>();
        foreach (var (word, count) in words.Counts.Where(kv => kv.Value >= options.MinFrequency)
                     .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (chosen.Count == options.WordsToAdd) break;
            if (wordPiece.TokenToId(word) is not null) continue;
            var ids = wordPiece.TokenizeWord(word);
            if (ids.Count < options.MinPieces || ids.Contains(wordPiece.UnkTokenId)) continue;
            chosen.Add(new AddedWord(word, count, ids.Select(wordPiece.IdToToken).ToArray(), ids, wordPiece.VocabSize + chosen.Count));
        }
        return chosen;
    }

    /// <summary>
    /// Appends one row per added word to every vocabulary-sized tensor: the word-embedding row is the
    /// mean of the old pieces' embedding rows (a tied decoder is that same tensor); an untied decoder
    /// row is the mean of the pieces' decoder rows, and an MLM output bias entry the mean of the
    /// pieces' biases. Old rows are not touched.
    /// </summary>
    internal static void GrowModel(TransformerModel model, IReadOnlyList<AddedWord> added)
    {
        int oldSize = model.Config.VocabSize;
        int newSize = oldSize + added.Count;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = model.Encoder.Embeddings.WordEmbeddingWeight;
        var rows = stack(added.Select(a => PieceMean(weight, a.OldPieceIds)).ToArray());
        // Head tensors indexed by token id (untied decoder [V, H], output bias [V]): found by their first
        // dimension, outside the encoder, before the resize; given their own piece means after it.
        var prefix = model.BackboneName + ".";
        var headRows = model.CheckpointState()
            .Where(kv => kv.Value.dim() is 1 or 2 && kv.Value.shape[0] == oldSize && !kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => stack(added.Select(a => PieceMean(kv.Value, a.OldPieceIds)).ToArray()));
        model.ResizeTokenEmbeddings(newSize, rows);
        var state = model.CheckpointState();
        foreach (var (key, values) in headRows)
        {
            if (state.TryGetValue(key, out var grown) && grown.shape[0] == newSize)
                grown.narrow(0, oldSize, added.Count).copy_(values);
        }
    }

    private static Tensor PieceMean(Tensor table, IReadOnlyList<int> ids)
    {
        using var index = tensor(ids.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64, device: table.device);
        return table.index_select(0, index).mean([0L]);
    }

    /// <summary>vocab.txt = the old file's lines + one line per new word; tokenizer_config.json and special_tokens_map.json copied unchanged.</summary>
    private static void WriteTokenizer(string modelFolder, string outputFolder, IReadOnlyList<AddedWord> added)
    {
        var oldVocab = File.ReadAllText(Path.Combine(modelFolder, WordPieceTextTokenizer.VocabFileName), Encoding.UTF8);
        var text = new StringBuilder(oldVocab);
        if (text.Length > 0 && text[^1] != '\n') text.Append('\n');
        foreach (var a in added) text.Append(a.Word).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(outputFolder, WordPieceTextTokenizer.VocabFileName), text.ToString());
        foreach (var name in new[] { TokenizerConfigFile.FileName, TokenizerConfigFile.SpecialTokensMapFileName })
        {
            var source = Path.Combine(modelFolder, name);
            if (File.Exists(source)) AtomicFile.Copy(source, Path.Combine(outputFolder, name));
        }
        // tokenizer.json is deliberately not copied: HF would prefer it and never see the new words.
    }

    private static WordPieceTextTokenizer LoadWordPiece(string folder) =>
        AsWordPiece(TokenizerLoader.FromFolder(folder), folder);

    private static WordPieceTextTokenizer AsWordPiece(ITextTokenizer tokenizer, string where) =>
        tokenizer as WordPieceTextTokenizer
        ?? throw new TokenizerException($"{where}: vocabulary extension needs a WordPiece tokenizer (vocab.txt); found {tokenizer.Kind}.");

    private static void RefuseAddedTokensFile(string folder)
    {
        var path = Path.Combine(folder, "added_tokens.json");
        if (File.Exists(path) && File.ReadAllText(path).Trim() is not ("" or "{}"))
            throw new TokenizerException($"{path}: the folder has added tokens whose ids follow vocab.txt; the new words would take the same ids. " +
                                         "Merge them into vocab.txt first.");
    }
}
