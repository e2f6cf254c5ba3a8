using Acclimate.Adaptation.Selection;
using Acclimate.Runtime;

namespace Acclimate.Tests.Adaptation;

public sealed class SelectionTests
{
    public SelectionTests() => TorchRuntime.EnsureInitialized();

    private static float[] RandomVector(Random random, int dimension) =>
        Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>Blocked top-k over matrix products picks exactly what pairwise brute force picks.</summary>
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 10)]
    [InlineData(5, 64)]
    public void NearestNeighboursEqualBruteForce(int k, int blockSize)
    {
        var random = new Random(k * 31 + blockSize);
        var targets = Enumerable.Range(0, 6).Select(_ => RandomVector(random, 12)).ToArray();
        var pool = Enumerable.Range(0, 53).Select(_ => RandomVector(random, 12)).ToArray();
        var selected = NearestNeighbourSelection.Select(targets, pool.Chunk(blockSize), k);

        var expected = new Dictionary<int, double>();
        foreach (var t in targets)
            foreach (var (i, score) in pool.Select((p, i) => (i, Cosine(t, p))).OrderByDescending(x => x.Item2).Take(k))
                expected[i] = Math.Max(expected.GetValueOrDefault(i, double.MinValue), score);
        Assert.Equal(expected.Keys.Order(), selected.Select(s => s.PoolIndex).Order());
        foreach (var s in selected) Assert.True(Math.Abs(expected[s.PoolIndex] - s.Score) <= 1e-5, $"pool {s.PoolIndex}: {s.Score} vs brute force {expected[s.PoolIndex]}");
        Assert.Equal(selected.OrderByDescending(s => s.Score).Select(s => s.PoolIndex), selected.Select(s => s.PoolIndex));
    }

    /// <summary>Streamed blocks in one reused buffer (as a .npy reader gives them) select what lists select.</summary>
    [Fact]
    public void NearestNeighboursFromAReusedBlockBufferEqualTheListForm()
    {
        var random = new Random(5);
        var targets = Enumerable.Range(0, 4).Select(_ => RandomVector(random, 8)).ToArray();
        var pool = Enumerable.Range(0, 23).Select(_ => RandomVector(random, 8)).ToArray();
        IEnumerable<(float[] Values, int Rows)> Streamed()
        {
            var buffer = new float[10 * 8];
            for (var start = 0; start < pool.Length; start += 10)
            {
                Array.Fill(buffer, float.NaN);   // stale rows from the previous block must never be read
                var rows = Math.Min(10, pool.Length - start);
                for (var r = 0; r < rows; r++) pool[start + r].CopyTo(buffer, r * 8);
                yield return (buffer, rows);
            }
        }
        var expected = NearestNeighbourSelection.Select(targets, pool.Chunk(10), 3);
        var streamed = NearestNeighbourSelection.Select(targets, Streamed(), 3);
        Assert.Equal(expected.Select(s => (s.PoolIndex, s.Target)), streamed.Select(s => (s.PoolIndex, s.Target)));
        Assert.Equal(expected.Select(s => s.Score), streamed.Select(s => s.Score));
    }

    [Fact]
    public void NearestNeighboursRejectMismatchedDimensions()
    {
        var e = Assert.Throws<Acclimate.Errors.DataException>(() =>
            NearestNeighbourSelection.Select(new[] { new float[4] { 1, 0, 0, 0 } }, new[] { new[] { new float[3] } }, 1));
        Assert.Contains("has 3 values", e.Message);
    }

    [Fact]
    public void Bm25RanksTheDocumentSharingTheRarerTermsFirst()
    {
        var pool = new[]
        {
            "The football match ended in a draw.",                           // 0: nothing in common
            "Patients with chronic kidney disease were enrolled.",           // 1: patients, disease
            "Kidney disease and kidney failure in diabetic patients.",       // 2: kidney ×2, disease, patients
            "The weather was fine and the patients went for a walk.",        // 3: patients
        };
        var selected = Bm25Selection.Select(new[] { "kidney disease in patients" }, pool, k: 3);
        Assert.Equal(new[] { 2, 1, 3 }, selected.Select(s => s.PoolIndex));
        Assert.True(selected[0].Score > selected[1].Score && selected[1].Score > selected[2].Score);
        Assert.All(selected, s => Assert.Equal(0, s.Target));
    }

    [Fact]
    public void Bm25KeepsEachDocumentOnceWithItsBestScore()
    {
        var pool = new[] { "heart failure", "heart attack", "stock market" };
        var selected = Bm25Selection.Select(new[] { "heart failure", "heart attack" }, pool, k: 2);
        Assert.Equal(2, selected.Count);
        Assert.Equal(new[] { 0, 1 }, selected.Select(s => s.PoolIndex).Order());
    }

    [Fact]
    public void CrossEntropyDifferencePrefersInDomainSentences()
    {
        var target = new[]
        {
            "the patients received insulin therapy for diabetes",
            "blood glucose levels were measured in the patients",
            "insulin resistance is common in type 2 diabetes",
            "the therapy lowered blood glucose in diabetic patients",
        };
        var inDomain = new[]
        {
            "insulin therapy lowered glucose levels in the patients",
            "diabetes patients were measured for insulin resistance",
            "blood glucose in type 2 diabetes patients",
        };
        // A pool dominated by another domain, as Moore-Lewis assumes (its model is a random pool sample).
        var subjects = new[] { "the striker", "the club", "the coach", "the fans", "the goalkeeper" };
        var rest = new[] { "scored twice in the second half", "signed a new player for the season", "celebrated the league title",
            "praised the team after the match" };
        var outOfDomain = subjects.SelectMany(s => rest.Select(r => $"{s} {r}")).ToArray();   // 20 sentences
        var pool = outOfDomain.Concat(inDomain).ToArray();   // in-domain at indices 20, 21, 22
        // The general model from out-of-domain text only (with a pool this small a random sample
        // would often hold an in-domain sentence and make it look general).
        var ranked = CrossEntropyDifferenceSelection.Rank(target, pool, general: outOfDomain.Take(5).ToArray());
        Assert.Equal(pool.Length, ranked.Count);
        Assert.Equal(new[] { 20, 21, 22 }, ranked.Take(3).Select(r => r.PoolIndex).Order());
        Assert.True(ranked[2].Score > ranked[3].Score);
    }

    [Fact]
    public void ThePoolSampleMatchesTheTargetsWordCount()
    {
        var pool = Enumerable.Range(0, 100).Select(i => $"word{i} filler text here").ToArray();   // 4 words each
        var sample = CrossEntropyDifferenceSelection.PoolSample(pool, words: 30, seed: 2);
        Assert.Equal(8, sample.Count);   // the first count of 4-word documents reaching 30 words
        Assert.Equal(sample.Count, sample.Distinct().Count());
        Assert.NotEqual(pool.Take(8), sample);   // drawn at random, not the first lines
    }

    [Fact]
    public void BigramModelGivesSeenTextLowerCrossEntropy()
    {
        var model = new BigramLanguageModel(new[] { "a b c", "a b d" }, vocabularySize: 6);
        Assert.True(model.CrossEntropy("a b c") < model.CrossEntropy("c b a"));
        Assert.True(double.IsFinite(model.CrossEntropy("completely unseen words")));
    }
}
