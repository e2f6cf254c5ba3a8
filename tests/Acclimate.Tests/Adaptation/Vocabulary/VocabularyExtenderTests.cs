using Acclimate.Checkpoints;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Adaptation.Vocabulary;
using Acclimate.Tokenization.Vocabulary;
using static TorchSharp.torch;

using Acclimate.Tests.Tokenization.Vocabulary;

namespace Acclimate.Tests.Adaptation.Vocabulary;

/// <summary>Vocabulary extension: old ids and rows untouched, new rows the mean of the old pieces, a folder that loads and runs.</summary>
public sealed class VocabularyExtenderTests
{
    public VocabularyExtenderTests() => TorchRuntime.EnsureInitialized();

    internal static readonly string[] DomainWords = ["immunoglobulin", "lymphocytes", "cytokine", "interleukin", "transcription"];

    /// <summary>Domain text: the domain words many times (in a fixed pseudo-random order), with some general words.</summary>
    internal static List<CorpusDocument> DomainCorpus(int documents = 60)
    {
        var random = new Random(5);
        var docs = new List<CorpusDocument>();
        for (int i = 0; i < documents; i++)
        {
            var words = Enumerable.Range(0, 12).Select(_ => random.Next(3) == 0 ? "the" : DomainWords[random.Next(DomainWords.Length)]);
            docs.Add(new CorpusDocument($"doc{i}", string.Join(' ', words) + ".", "memory", i + 1));
        }
        return docs;
    }

    /// <summary>
    /// A tiny BERT MLM folder whose vocabulary (trained on general text plus the alphabet) cuts the
    /// domain words into several pieces; the MLM bias is random so its growth is observable.
    /// </summary>
    internal static string TinyModelFolder(string dir, bool tied = true, int? configVocabSize = null)
    {
        var text = WordPieceTrainerTests.SampleText.Append("abcdefghijklmnopqrstuvwxyz").ToArray();
        var vocab = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = 140, MinFrequency = 1 }).Train(text);
        manual_seed(11);
        var config = EncoderConfig.Create(ModelType.Bert, configVocabSize ?? vocab.Count, 16, 1, 2, 32, maxPositions: 32,
            extra: c => c["tie_word_embeddings"] = tied);
        using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
        using (no_grad()) model.CheckpointState()["cls.predictions.bias"].normal_(0, 1);
        var folder = Path.Combine(dir, "base");
        PretrainedModel.Save(model, folder, vocab.Save);
        return folder;
    }

    [Fact]
    public void VocabularyExtensionKeepsOldIds()
    {
        using var dir = new TempFolder();
        var baseFolder = TinyModelFolder(dir.Path);
        var output = Path.Combine(dir.Path, "extended");
        var oldTokenizer = TokenizerLoader.FromFolder(baseFolder);
        var (oldModel, _) = PretrainedModel.Load(baseFolder);
        using var _o = oldModel;
        var oldState = oldModel.CheckpointState();
        int oldSize = oldTokenizer.VocabSize;

        var result = VocabularyExtender.Extend(baseFolder, DomainCorpus(), output,
            new VocabularyExtensionOptions { WordsToAdd = 3, MinFrequency = 2, HeldOutFraction = 0 });

        // The three most frequent qualifying words, appended after the old vocabulary in frequency order.
        Assert.Equal(3, result.Added.Count);
        Assert.Equal(oldSize + 3, result.NewVocabSize);
        var expectedWords = DomainWords.OrderByDescending(w => result.SelectionWords.Counts[w]).ThenBy(w => w, StringComparer.Ordinal).Take(3);
        Assert.Equal(expectedWords, result.Added.Select(a => a.Word));
        Assert.Equal(Enumerable.Range(oldSize, 3), result.Added.Select(a => a.NewId));

        var newTokenizer = TokenizerLoader.FromFolder(output);
        Assert.Equal(oldSize + 3, newTokenizer.VocabSize);
        for (int id = 0; id < oldSize; id++) Assert.Equal(oldTokenizer.IdToToken(id), newTokenizer.IdToToken(id));
        foreach (var a in result.Added)
        {
            Assert.Equal(a.Word, newTokenizer.IdToToken(a.NewId));
            Assert.Equal([a.NewId], newTokenizer.Encode(a.Word, options: new EncodeOptions { AddSpecialTokens = false }).Ids);
            Assert.True(a.OldPieces.Count >= 2);
        }

        var (model, report) = PretrainedModel.Load(output);
        using var _m = model;
        Assert.True(report.IsExactMatch, report.Describe());
        Assert.Equal(oldSize + 3, model.Config.VocabSize);
        var state = model.CheckpointState();
        var oldEmbeddings = oldState["bert.embeddings.word_embeddings.weight"];
        var embeddings = state["bert.embeddings.word_embeddings.weight"];
        Assert.True(TensorAssert.BitEqual(oldEmbeddings, embeddings.narrow(0, 0, oldSize)), "old embedding rows changed");
        Assert.True(TensorAssert.BitEqual(oldState["cls.predictions.bias"], state["cls.predictions.bias"].narrow(0, 0, oldSize)), "old bias entries changed");
        foreach (var a in result.Added)
        {
            using var pieces = tensor(a.OldPieceIds.Select(i => (long)i).ToArray());
            using var expectedRow = oldEmbeddings.index_select(0, pieces).mean([0L]);
            Assert.True(expectedRow.allclose(embeddings[a.NewId], rtol: 0, atol: 1e-6), $"row of '{a.Word}' is not the mean of {string.Join(" ", a.OldPieces)}");
            var expectedBias = a.OldPieceIds.Average(i => oldState["cls.predictions.bias"][i].item<float>());
            Assert.Equal(expectedBias, state["cls.predictions.bias"][a.NewId].item<float>(), 5);
        }
        // Still tied: no separate decoder parameter in the model, and the saved alias equals the grown embeddings.
        Assert.DoesNotContain("cls.predictions.decoder.weight", state.Keys);
        using (var weights = SafetensorsFile.Open(Path.Combine(output, PretrainedModel.WeightsFileName)))
        using (var decoder = weights.ReadTensor("cls.predictions.decoder.weight"))
            Assert.True(TensorAssert.BitEqual(decoder, embeddings));

        // A forward pass over old and new ids works and scores the whole new vocabulary.
        model.eval();
        using var ids = tensor(new long[] { 2, 7, oldSize, oldSize + 2, 3 }, new long[] { 1, 5 });
        using var logits = model.Forward(new ModelInputs(ids)).Logits;
        Assert.Equal(new long[] { 1, 5, oldSize + 3 }, logits.shape);
        Assert.False(logits.isnan().any().item<bool>());

        // Fewer tokens per word on the domain text.
        Assert.Equal("all", result.MeasuredOn);
        Assert.True(result.After.TokensPerWord < result.Before.TokensPerWord, $"{result.Before} → {result.After}");
        Assert.Equal(result.Before.Words, result.After.Words);
        Assert.False(File.Exists(Path.Combine(output, "tokenizer.json")));
    }

    [Fact]
    public void HeldOutDocumentsAreMeasuredNotSelectedFrom()
    {
        using var dir = new TempFolder();
        var baseFolder = TinyModelFolder(dir.Path);
        var docs = DomainCorpus(80);
        var options = new VocabularyExtensionOptions { WordsToAdd = 2, MinFrequency = 1, HeldOutFraction = 0.25 };
        var result = VocabularyExtender.Extend(baseFolder, docs, Path.Combine(dir.Path, "out"), options);
        var heldOut = docs.Count(d => DocumentSplit.IsHeldOut(d.Id, 0.25, options.SplitSalt));
        Assert.Equal("held-out", result.MeasuredOn);
        Assert.Equal(heldOut, result.Before.Documents);
        Assert.Equal(docs.Count - heldOut, result.SelectionWords.Documents);
    }

    [Fact]
    public void SelectionSkipsKnownRareAndShortWords()
    {
        using var dir = new TempFolder();
        var tokenizer = TokenizerLoader.FromFolder(TinyModelFolder(dir.Path));
        var words = WordFrequencies.FromCounts(new Dictionary<string, long>
        {
            ["the"] = 100,              // already one token
            ["interleukin"] = 50,
            ["cytokine"] = 50,
            ["lymphocytes"] = 3,        // too rare
            ["q"] = 70,                 // one piece
        });
        var chosen = VocabularyExtender.SelectWords(tokenizer, words, new VocabularyExtensionOptions { WordsToAdd = 10, MinFrequency = 5 });
        Assert.Equal(["cytokine", "interleukin"], chosen.Select(a => a.Word));
        Assert.Equal(tokenizer.VocabSize, chosen[0].NewId);
        Assert.Equal(tokenizer.Encode("cytokine", options: new EncodeOptions { AddSpecialTokens = false }).Ids, chosen[0].OldPieceIds);
    }

    [Fact]
    public void VocabModelSizeMismatchIsAClearError()
    {
        using var dir = new TempFolder();
        var baseFolder = TinyModelFolder(dir.Path, configVocabSize: 150);
        var tokens = TokenizerLoader.FromFolder(baseFolder).VocabSize;
        var output = Path.Combine(dir.Path, "out");

        var e = Assert.Throws<CheckpointException>(() => VocabularyExtender.Extend(baseFolder, DomainCorpus(), output));
        Assert.Contains("vocab/model size mismatch", e.Message);
        Assert.Contains(Path.Combine(baseFolder, "config.json"), e.Message);
        Assert.Contains(Path.Combine(baseFolder, "vocab.txt"), e.Message);
        Assert.Contains("vocab_size 150", e.Message);
        Assert.Contains($"{tokens} tokens", e.Message);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void LoadingAFolderWhoseTokenizerOutgrowsTheModelIsAClearError()
    {
        using var dir = new TempFolder();
        var tokens = TokenizerLoader.FromFolder(TinyModelFolder(Path.Combine(dir.Path, "probe"))).VocabSize;
        var small = TinyModelFolder(Path.Combine(dir.Path, "small"), configVocabSize: tokens - 10);
        var e = Assert.Throws<CheckpointException>(() => ModelVocabulary.LoadTokenizerChecked(small));
        Assert.Contains(Path.Combine(small, "config.json"), e.Message);
        Assert.Contains($"vocab_size {tokens - 10}", e.Message);
        Assert.Contains($"{Path.Combine(small, "vocab.txt")} holds {tokens} tokens", e.Message);
        Assert.Contains("out of range", e.Message);

        // A padded embedding (more rows than tokens) is what HF allows when loading, but not for extension.
        var padded = TinyModelFolder(Path.Combine(dir.Path, "padded"), configVocabSize: tokens + 6);
        Assert.Equal(tokens, ModelVocabulary.LoadTokenizerChecked(padded).VocabSize);
        Assert.Throws<CheckpointException>(() => ModelVocabulary.LoadTokenizerChecked(padded, requireEqual: true));
        // A matching folder passes either way.
        Assert.Equal(tokens, ModelVocabulary.LoadTokenizerChecked(Path.Combine(dir.Path, "probe", "base"), requireEqual: true).VocabSize);
    }

    [Fact]
    public void UntiedDecoderRowsAreTheMeanOfTheDecodersOwnPieceRows()
    {
        using var dir = new TempFolder();
        var baseFolder = TinyModelFolder(dir.Path, tied: false);
        var (oldModel, _) = PretrainedModel.Load(baseFolder);
        using var _o = oldModel;
        var oldDecoder = oldModel.CheckpointState()["cls.predictions.decoder.weight"];
        var output = Path.Combine(dir.Path, "out");
        var result = VocabularyExtender.Extend(baseFolder, DomainCorpus(), output,
            new VocabularyExtensionOptions { WordsToAdd = 2, MinFrequency = 1, HeldOutFraction = 0 });
        var (model, report) = PretrainedModel.Load(output);
        using var _m = model;
        Assert.True(report.IsExactMatch, report.Describe());
        var decoder = model.CheckpointState()["cls.predictions.decoder.weight"];
        Assert.Equal(result.NewVocabSize, decoder.shape[0]);
        Assert.True(TensorAssert.BitEqual(oldDecoder, decoder.narrow(0, 0, result.OldVocabSize)), "old decoder rows changed");
        foreach (var a in result.Added)
        {
            using var pieces = tensor(a.OldPieceIds.Select(i => (long)i).ToArray());
            using var expected = oldDecoder.index_select(0, pieces).mean([0L]);
            Assert.True(expected.allclose(decoder[a.NewId], rtol: 0, atol: 1e-6), $"decoder row of '{a.Word}'");
        }
        // The untied decoder really is separate: its new rows differ from the new embedding rows.
        var embeddings = model.CheckpointState()["bert.embeddings.word_embeddings.weight"];
        Assert.False(TensorAssert.BitEqual(decoder.narrow(0, result.OldVocabSize, 2), embeddings.narrow(0, result.OldVocabSize, 2)));
    }

    [Fact]
    public void TokensPerWordCountsWordsTokensSplitsAndUnknowns()
    {
        var tokenizer = TokenizerLoader.FromFolder(TestPaths.Fixture("tokenizers", "bert-base-uncased"));
        // hello | world | , | una ##ffa ##ble  and  ☃ → [UNK]
        var report = TokensPerWordReport.Measure(tokenizer, ["Hello world, unaffable", "\u2603"], threads: 2);
        Assert.Equal(2, report.Documents);
        Assert.Equal(5, report.Words);
        Assert.Equal(7, report.Tokens);
        Assert.Equal(1, report.SplitWords);
        Assert.Equal(1, report.UnknownTokens);
        Assert.Equal(7.0 / 5, report.TokensPerWord, 10);
    }
}
