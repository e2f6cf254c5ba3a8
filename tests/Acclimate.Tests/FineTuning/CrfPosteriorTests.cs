using Acclimate.FineTuning;
using Acclimate.FineTuning.Tagging;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

public sealed class CrfPosteriorTests
{
    // 3 labels (O, B-A, I-A) × 4 words: 81 paths, enumerated one by one.
    private static (float[,] Emissions, float[,] Transitions, float[] Start, float[] End) Random3x4(int seed)
    {
        var rng = new Random(seed);
        float R() => (float)(rng.NextDouble() * 4 - 2);
        var e = new float[4, 3];
        var t = new float[3, 3];
        for (var i = 0; i < 4; i++) for (var k = 0; k < 3; k++) e[i, k] = R();
        for (var i = 0; i < 3; i++) for (var k = 0; k < 3; k++) t[i, k] = R();
        return (e, t, new[] { R(), R(), R() }, new[] { R(), R(), R() });
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

    /// <summary>p(path) for every allowed path, by brute force.</summary>
    private static List<(int[] Path, double P)> Enumerate(float[,] e, float[,] tr, float[] start, float[] end, CrfConstraints? constraints)
    {
        var (n, k) = (e.GetLength(0), e.GetLength(1));
        var weighted = new List<(int[], double)>();
        foreach (var path in Paths(n, k))
        {
            if (constraints is not null && !constraints.IsAllowed(path)) continue;
            var score = (double)start[path[0]] + end[path[^1]];
            for (var t = 0; t < n; t++) score += (double)e[t, path[t]];
            for (var t = 1; t < n; t++) score += (double)tr[path[t - 1], path[t]];
            weighted.Add((path, Math.Exp(score)));
        }
        var z = weighted.Sum(w => w.Item2);
        return weighted.Select(w => (w.Item1, w.Item2 / z)).ToList();
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void Marginals_and_span_probabilities_equal_brute_force_enumeration_of_all_paths(int seed, bool constrained)
    {
        var (e, tr, start, end) = Random3x4(seed);
        var constraints = constrained ? ConditionalRandomFieldTests.Bio(1) : null;
        var posterior = CrfPosterior.Compute(e, tr, start, end, constraints);
        var paths = Enumerate(e, tr, start, end, constraints);
        Assert.Equal(Math.Log(Paths(4, 3).Where(p => constraints?.IsAllowed(p) ?? true).Sum(p =>
        {
            var s = (double)start[p[0]] + end[p[^1]];
            for (var t = 0; t < 4; t++) s += (double)e[t, p[t]];
            for (var t = 1; t < 4; t++) s += (double)tr[p[t - 1], p[t]];
            return Math.Exp(s);
        })), posterior.LogPartition, 9);
        var marginals = posterior.Marginals();
        for (var t = 0; t < 4; t++)
        {
            Assert.Equal(1.0, Enumerable.Range(0, 3).Sum(k => marginals[t, k]), 10);
            for (var k = 0; k < 3; k++)
                Assert.Equal(paths.Where(p => p.Path[t] == k).Sum(p => p.P), marginals[t, k], 10);
        }
        // Every span of every length with every tag sub-path (3 + 9 + 27 + 81 per start at most).
        for (var s = 0; s < 4; s++)
            for (var length = 1; s + length <= 4; length++)
                foreach (var tags in Paths(length, 3))
                {
                    var expected = paths.Where(p => p.Path.AsSpan(s, length).SequenceEqual(tags)).Sum(p => p.P);
                    Assert.Equal(expected, posterior.SpanProbability(s, tags), 10);
                }
        if (constrained)
        {
            Assert.Equal(0.0, marginals[0, 2]);                                  // I-A cannot open a BIO sentence
            Assert.Equal(0.0, posterior.SpanProbability(1, new[] { 0, 2 }));     // nor follow O
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Marginals_equal_the_torch_CRFs_forward_backward(bool constrained)
    {
        manual_seed(11);
        using var crf = new ConditionalRandomField(5, constrained ? ConditionalRandomFieldTests.Bio(2) : null);
        using (no_grad())
        {
            crf.Transitions.copy_(randn(5, 5) * 2);
            crf.StartTransitions.copy_(randn(5));
            crf.EndTransitions.copy_(randn(5));
        }
        var rng = new Random(4);
        var scores = new float[9, 5];
        for (var w = 0; w < 9; w++) for (var l = 0; l < 5; l++) scores[w, l] = (float)(rng.NextDouble() * 6 - 3);
        var torchMarginals = TaggingPredictor.CrfMarginals(crf, scores);
        var ours = CrfPosterior.Compute(crf, scores).Marginals();
        for (var w = 0; w < 9; w++)
            for (var l = 0; l < 5; l++) Assert.Equal(torchMarginals[w, l], ours[w, l], 4);
    }

    [Fact]
    public void A_span_is_never_more_probable_than_its_least_probable_word_and_an_empty_sentence_has_no_words()
    {
        var (e, tr, start, end) = Random3x4(5);
        var posterior = CrfPosterior.Compute(e, tr, start, end, null);
        var tags = new[] { 1, 2, 2 };
        var span = posterior.SpanProbability(1, tags);
        Assert.InRange(span, 1e-12, Enumerable.Range(0, 3).Min(i => posterior.Marginal(1 + i, tags[i])));
        Assert.Throws<ArgumentOutOfRangeException>(() => posterior.SpanProbability(3, tags));
        var empty = CrfPosterior.Compute(new float[0, 3], tr, start, end, null);
        Assert.Equal(0, empty.Length);
        Assert.Equal(1.0, empty.SpanProbability(0, ReadOnlySpan<int>.Empty));
    }

    [Fact]
    public void Independent_words_multiply_and_a_vote_averages_its_members()
    {
        var p = new float[,] { { 0.5f, 0.5f }, { 0.25f, 0.75f } };
        var q = new float[,] { { 0.9f, 0.1f }, { 0.2f, 0.8f } };
        var independent = new IndependentTagPosterior(p);
        Assert.Equal(0.5 * 0.75, independent.SpanProbability(0, new[] { 1, 1 }), 6);
        var mean = new MeanTagPosterior(new ITagPosterior[] { independent, new IndependentTagPosterior(q) });
        Assert.Equal((0.5 * 0.75 + 0.1 * 0.8) / 2, mean.SpanProbability(0, new[] { 1, 1 }), 6);
    }

    [Fact]
    public void Nan_emissions_are_an_error_naming_the_sentence_length()
    {
        var (e, tr, start, end) = Random3x4(6);
        e[2, 1] = float.NaN;
        var error = Assert.Throws<Acclimate.Errors.DataException>(() => CrfPosterior.Compute(e, tr, start, end, null));
        Assert.Contains("4-word", error.Message);
    }
}
