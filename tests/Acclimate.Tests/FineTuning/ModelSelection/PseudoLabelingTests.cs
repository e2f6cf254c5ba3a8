using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning.ModelSelection;

public sealed class PseudoLabelingTests
{
    [Fact]
    public void Confidence_is_the_mean_probability_of_the_chosen_labels()
    {
        var probabilities = new float[,] { { 0.9f, 0.1f }, { 0.3f, 0.7f }, { 0.5f, 0.5f } };
        Assert.Equal((0.9 + 0.7 + 0.5) / 3, PseudoLabeling.Confidence(probabilities, new[] { 0, 1, 0 }), 6);
        Assert.Equal((0.1 + 0.3 + 0.5) / 3, PseudoLabeling.Confidence(probabilities, new[] { 1, 0, 1 }), 6);
    }

    [Fact]
    public void Threshold_keeps_confidences_at_or_above_it()
    {
        Assert.Equal(new[] { 1, 3 }, PseudoLabeling.Select(new[] { 0.5, 0.9, 0.89999, 0.95 }, 0.9));
        Assert.Empty(PseudoLabeling.Select(new[] { 0.5 }, 1.0));
        Assert.Throws<Acclimate.Errors.ConfigException>(() => PseudoLabeling.Select(new[] { 0.5 }, 1.5));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Weighted_loss_equals_the_formula_on_a_hand_case(bool crf)
    {
        // n = 2 gold examples (W1 = 1), m = 2 pseudo examples (W2 = 0.25): the batch loss must be
        // (1/(n+m)) Σ wᵢ·Lᵢ with each Lᵢ the example's loss computed alone.
        using var labeler = TinyLabelers.Create(TokenHeadKind.Linear, crf, seed: 5);
        var rng = new Random(11);
        var examples = new List<LabelerExample>();
        var weights = new[] { 1f, 1f, 0.25f, 0.25f };
        for (var i = 0; i < 4; i++)
        {
            var (input, tokenLabels, _) = TinyLabelers.RandomSentence(rng, 2 + i);
            examples.Add(new LabelerExample(input, tokenLabels, weights[i]));
        }
        using var _ = no_grad();
        var alone = examples.Select(e =>
        {
            using var batch = new DisposableBatch(TaggingBatch.Collate(new[] { e with { Weight = 1f } }, 0));
            return WeightedTaggingLoss.Compute(labeler, batch.Value).item<float>();
        }).ToArray();
        var expected = Enumerable.Range(0, 4).Sum(i => weights[i] * alone[i]) / 4;
        var together = WeightedTaggingLoss.Compute(labeler, TaggingBatch.Collate(examples, 0)).item<float>();
        Assert.Equal(expected, together, 4);
        Assert.True(alone.All(l => l > 0));
        // With every weight 1 it is the plain mean of the per-example losses.
        var unweighted = WeightedTaggingLoss.Compute(labeler, TaggingBatch.Collate(examples.Select(e => e with { Weight = 1f }).ToArray(), 0)).item<float>();
        Assert.Equal(alone.Average(), unweighted, 4);
    }

    private sealed class DisposableBatch : IDisposable
    {
        public DisposableBatch(TaggingBatch value) => Value = value;
        public TaggingBatch Value { get; }
        public void Dispose()
        {
            Value.Batch.InputIds.Dispose();
            Value.Batch.AttentionMask.Dispose();
            Value.Batch.WordStarts?.Dispose();
            Value.Labels.Dispose();
            Value.Weights.Dispose();
        }
    }
}

public sealed class CrfMarginalTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Marginals_equal_brute_force_enumeration_of_all_paths(bool constrained)
    {
        manual_seed(8);
        var constraints = constrained ? ConditionalRandomFieldTests.Bio(1) : null;   // O, B-A, I-A
        using var crf = new ConditionalRandomField(3, constraints);
        using (no_grad())
        {
            crf.Transitions.copy_(randn(3, 3));
            crf.StartTransitions.copy_(randn(3));
            crf.EndTransitions.copy_(randn(3));
        }
        var rng = new Random(2);
        var scores = new float[4, 3];
        for (var w = 0; w < 4; w++)
            for (var l = 0; l < 3; l++) scores[w, l] = (float)(rng.NextDouble() * 4 - 2);
        var marginals = TaggingPredictor.CrfMarginals(crf, scores);

        var trans = crf.Transitions.detach().data<float>().ToArray();
        var start = crf.StartTransitions.detach().data<float>().ToArray();
        var end = crf.EndTransitions.detach().data<float>().ToArray();
        var expected = new double[4, 3];
        double z = 0;
        foreach (var path in Paths(4, 3))
        {
            if (constraints is not null && !constraints.IsAllowed(path)) continue;
            var score = start[path[0]] + end[path[^1]];
            for (var t = 0; t < 4; t++) score += scores[t, path[t]];
            for (var t = 1; t < 4; t++) score += trans[path[t - 1] * 3 + path[t]];
            var p = Math.Exp(score);
            z += p;
            for (var t = 0; t < 4; t++) expected[t, path[t]] += p;
        }
        for (var t = 0; t < 4; t++)
        {
            for (var k = 0; k < 3; k++) Assert.Equal(expected[t, k] / z, marginals[t, k], 4);
            Assert.Equal(1.0, Enumerable.Range(0, 3).Sum(k => (double)marginals[t, k]), 4);
        }
        if (constrained) Assert.True(marginals[0, 2] < 1e-4, "I-A cannot open a BIO sentence");
    }

    [Fact]
    public void Batched_marginals_of_sentences_of_different_lengths_equal_one_at_a_time()
    {
        manual_seed(3);
        using var crf = new ConditionalRandomField(3, ConditionalRandomFieldTests.Bio(1));
        using (no_grad()) crf.Transitions.copy_(randn(3, 3));
        var rng = new Random(5);
        var sentences = new[] { 4, 1, 0, 6, 2 }.Select(words =>
        {
            var m = new float[words, 3];
            for (var w = 0; w < words; w++)
                for (var l = 0; l < 3; l++) m[w, l] = (float)(rng.NextDouble() * 4 - 2);
            return m;
        }).ToArray();
        var batched = TaggingPredictor.CrfMarginals(crf, sentences, batchSize: 3);   // two batches, padding in both
        for (var i = 0; i < sentences.Length; i++)
        {
            var single = TaggingPredictor.CrfMarginals(crf, sentences[i]);
            Assert.Equal(sentences[i].GetLength(0), batched[i].GetLength(0));
            for (var w = 0; w < single.GetLength(0); w++)
                for (var l = 0; l < 3; l++) Assert.Equal(single[w, l], batched[i][w, l], 5);
        }
    }

    private static IEnumerable<int[]> Paths(int length, int tags)
    {
        var total = (int)Math.Pow(tags, length);
        for (var n = 0; n < total; n++)
        {
            var path = new int[length];
            var x = n;
            for (var t = 0; t < length; t++) { path[t] = x % tags; x /= tags; }
            yield return path;
        }
    }
}
