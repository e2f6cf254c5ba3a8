using Acclimate.FineTuning;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;

namespace Acclimate.Tests.FineTuning.Tagging;

/// <summary>Entity confidences of <see cref="TextEntities.Predict"/> on saved tiny taggers, checked against brute force.</summary>
public sealed class TextEntityConfidenceTests
{
    // 11 words: more than one 8-token input, so the scores come through sliding windows.
    private const string LongText = "John Smith met Mary in Paris and London , Bob said";

    [Fact]
    public void A_CRF_taggers_entity_confidence_is_the_brute_force_probability_of_its_tag_span_through_windows()
    {
        using var temp = new TempFolder();
        using var tagger = TaggerEnsemble.Load(new[] { TinyTaggerFolder.Create(temp.File("crf"), crf: true, maxLength: 8, stride: 2) });
        var words = TextEntities.Words(tagger.Words.Tokenizer, LongText).Select(w => w.Word).ToArray();
        Assert.False(tagger.Words.Fits(words));
        var entities = TextEntities.Predict(tagger, new[] { LongText })[0];
        Assert.NotEmpty(entities);

        // An independent computation of the same number: the torch CRF's forward algorithm (log Z)
        // with the span's words forced to the predicted tags, over log Z of the free sentence.
        var member = tagger.Members[0];
        var crf = member.Head.Crf!;
        var scores = TaggingPredictor.WordScores(member, tagger.Words, new[] { (IReadOnlyList<string>)words }, Math.Min(tagger.Info.Stride, tagger.Words.ContentLength - 1))[0];
        var path = TaggingPredictor.Decode(new[] { scores }, crf)[0];
        var wordSpans = TextEntities.Words(tagger.Words.Tokenizer, LongText);
        foreach (var entity in entities)
        {
            var first = wordSpans.ToList().FindIndex(w => w.Start == entity.Start);
            var last = wordSpans.ToList().FindIndex(w => w.End == entity.End);
            var expected = ClampedProbability(crf, scores, first, path[first..(last + 1)]);
            Assert.Equal(expected, entity.Confidence, 4);
            Assert.InRange(entity.Confidence, 1e-9, 1.0);
        }
    }

    [Fact]
    public void A_softmax_taggers_entity_confidence_is_the_product_of_its_words_softmax_probabilities()
    {
        using var temp = new TempFolder();
        using var tagger = TaggerEnsemble.Load(new[] { TinyTaggerFolder.Create(temp.File("linear"), crf: false, maxLength: 8, stride: 2) });
        var wordSpans = TextEntities.Words(tagger.Words.Tokenizer, LongText).ToList();
        var words = wordSpans.Select(w => w.Word).ToArray();
        var scores = TaggingPredictor.WordScores(tagger.Members[0], tagger.Words, new[] { (IReadOnlyList<string>)words }, 2)[0];
        var probabilities = TaggingPredictor.Probabilities(scores);
        var entities = TextEntities.Predict(tagger, new[] { LongText })[0];
        Assert.NotEmpty(entities);
        foreach (var entity in entities)
        {
            var first = wordSpans.FindIndex(w => w.Start == entity.Start);
            var last = wordSpans.FindIndex(w => w.End == entity.End);
            double expected = 1;
            for (var w = first; w <= last; w++)
            {
                var best = Enumerable.Range(0, 5).MaxBy(l => probabilities[w, l]);
                expected *= probabilities[w, best];
            }
            Assert.Equal(expected, entity.Confidence, 5);
        }
    }

    [Fact]
    public void A_voting_ensembles_confidence_is_the_mean_of_its_members_and_predict_is_unchanged()
    {
        using var temp = new TempFolder();
        var a = TinyTaggerFolder.Create(temp.File("a"), crf: true, seed: 3);
        var b = TinyTaggerFolder.Create(temp.File("b"), crf: true, seed: 3);   // identical members: the vote is either one
        using var single = TaggerEnsemble.Load(new[] { a });
        using var pair = TaggerEnsemble.Load(new[] { a, b });
        var texts = new[] { "John Smith met Mary in Paris .", LongText };
        var one = TextEntities.Predict(single, texts);
        var voted = TextEntities.Predict(pair, texts, EnsembleMethod.Vote);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(one[i].Select(e => (e.Type, e.Start, e.End)), voted[i].Select(e => (e.Type, e.Start, e.End)));
            for (var j = 0; j < one[i].Count; j++) Assert.Equal(one[i][j].Confidence, voted[i][j].Confidence, 6);
        }
        // The tags TextEntities decodes are the ones Predict returns.
        var words = texts.Select(t => (IReadOnlyList<string>)TextEntities.Words(single.Words.Tokenizer, t).Select(w => w.Word).ToArray()).ToArray();
        Assert.Equal(single.Predict(words, EnsembleMethod.Average), single.PredictWithPosteriors(words, EnsembleMethod.Average).Select(p => p.FileTags));
    }

    /// <summary>exp(log Z with the span's words forced to <paramref name="tags"/> − log Z), from the torch CRF.</summary>
    private static double ClampedProbability(ConditionalRandomField crf, float[,] scores, int start, int[] tags)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var _ = TorchSharp.torch.no_grad();
        var (n, k) = (scores.GetLength(0), scores.GetLength(1));
        var clamped = (float[,])scores.Clone();
        for (var i = 0; i < tags.Length; i++)
            for (var l = 0; l < k; l++)
                if (l != tags[i]) clamped[start + i, l] = -1e4f;
        double LogZ(float[,] m)
        {
            var flat = new float[n * k];
            Buffer.BlockCopy(m, 0, flat, 0, flat.Length * sizeof(float));
            var emissions = TorchSharp.torch.tensor(flat, new long[] { 1, n, k });
            return crf.LogPartition(emissions, TorchSharp.torch.ones(1, n, dtype: TorchSharp.torch.ScalarType.Bool)).item<float>();
        }
        return Math.Exp(LogZ(clamped) - LogZ(scores));
    }
}
