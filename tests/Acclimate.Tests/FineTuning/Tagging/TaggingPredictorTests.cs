using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Models;
using Acclimate.Tokenization;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning.Tagging;

public sealed class TaggingPredictorTests
{
    private static readonly ITextTokenizer Tokenizer = TokenizerLoader.FromFolder(TestPaths.Fixture("tokenizers", "bert-base-cased"));

    private static SequenceLabeler Labeler(bool crf)
    {
        manual_seed(4);
        var config = EncoderConfig.Create(ModelType.Bert, Tokenizer.VocabSize, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 24, maxPositions: 64);
        var labeler = SequenceLabeler.Create(config, TinyLabelers.Options(TokenHeadKind.Linear, crf, constrained: crf));
        labeler.eval();
        return labeler;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Batched_scores_then_decoding_equal_the_labelers_own_per_word_prediction(bool crf)
    {
        using var labeler = Labeler(crf);
        var encoder = new WordEncoder(Tokenizer, maxLength: 12);
        var sentences = new IReadOnlyList<string>[]
        {
            "John lives in Paris .".Split(' '),
            "Unbelievably , hydroxychloroquine was administered .".Split(' '),
            // Longer than one input of 12 tokens: scored through windows.
            "The quick brown fox jumps over the lazy dog near the riverbank in Heidelberg yesterday morning .".Split(' '),
            "x".Split(' '),
        };
        var predicted = TaggingPredictor.PredictTags(labeler, encoder, sentences, stride: 4);
        for (var i = 0; i < sentences.Length; i++)
        {
            int?[] expected;
            if (encoder.Fits(sentences[i]))
                expected = labeler.PredictWords(new[] { encoder.Encode(sentences[i]) })[0];
            else
                expected = labeler.PredictWordsLong(encoder.Content(sentences[i]), encoder.Prefix, encoder.Suffix, stride: 4, maxLength: 12);
            Assert.Equal(expected.Select(id => labeler.Labels[id!.Value]), predicted[i]);
        }
        Assert.False(encoder.Fits(sentences[2]));
    }

    [Fact]
    public void Chunks_fit_the_input_and_cover_every_word_once()
    {
        var encoder = new WordEncoder(Tokenizer, maxLength: 8);
        var words = "Unbelievably hydroxychloroquine and acetaminophen were administered to the patients on Tuesday".Split(' ');
        var chunks = encoder.Chunks(words);
        Assert.True(chunks.Count > 1);
        Assert.Equal(Enumerable.Range(0, words.Length), chunks.SelectMany(c => Enumerable.Range(c.From, c.To - c.From)));
        foreach (var (from, to) in chunks)
        {
            var input = encoder.EncodeTruncated(words, from, to);
            Assert.True(input.InputIds.Count <= 8);
            Assert.Equal(to - from, input.WordCount);
        }
    }

    [Fact]
    public void Chinese_text_splits_into_characters_with_offsets()
    {
        var chinese = TokenizerLoader.FromFolder(TestPaths.Fixture("tokenizers", "bert-base-chinese"));
        var text = "浙商银行在杭州 ok";
        var words = TextEntities.Words(chinese, text);
        Assert.Equal(new[] { "浙", "商", "银", "行", "在", "杭", "州", "ok" }, words.Select(w => w.Word));
        Assert.All(words, w => Assert.Equal(w.Word, text[w.Start..w.End]));
        // Character-level words each give at least one subword, so every character gets a prediction.
        var encoded = new WordEncoder(chinese, 32).Encode(words.Select(w => w.Word).ToArray());
        Assert.Equal(8, encoded.WordCount);
        Assert.Equal(8, SubwordAlignment.WordStarts(encoded.WordIds).Count(s => s));
    }
}
