using System.Runtime.CompilerServices;
using Acclimate.Adaptation.Selection;
using Acclimate.Errors;

namespace Acclimate.Tests.Adaptation;

public sealed class DsirSelectionTests
{
    private static readonly string[] Medical = "kidney disease patients renal failure chronic diabetic tumour cells clinical therapy mutation protein gene syndrome infection dose".Split(' ');
    private static readonly string[] Sports = "football match goal team player league coach season win score fans stadium referee cup transfer".Split(' ');
    private static readonly string[] Shared = "the a of and in with was were for".Split(' ');

    private static string Document(Random random, string[] vocabulary, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => random.Next(3) == 0 ? Shared[random.Next(Shared.Length)] : vocabulary[random.Next(vocabulary.Length)]));

    /// <summary>A pool of <paramref name="size"/> documents, one in ten from the target vocabulary; the flag says which.</summary>
    private static List<(string Text, bool InDomain)> Pool(int size, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, size).Select(i => i % 10 == 3
            ? (Document(random, Medical, random.Next(8, 25)), true)
            : (Document(random, Sports, random.Next(3, 25)), false)).ToList();
    }

    private static IReadOnlyList<string> Targets()
    {
        var random = new Random(99);
        return Enumerable.Range(0, 40).Select(_ => Document(random, Medical, 15)).ToList();
    }

    /// <summary>Both resampling and top-k fill at least 95 % of 50 picks with target-vocabulary documents (a random pick gets 10 %).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PicksTargetLikeDocuments(bool topK)
    {
        var pool = Pool(2000, 1);
        var result = DsirSelection.Select(Targets(), () => pool.Select(p => p.Text), 50, new DsirOptions(buckets: 1000, seed: 3, deterministicTopK: topK));
        Assert.Equal(50, result.Selected.Count);
        Assert.Equal(2000, result.PoolDocuments);
        var precision = result.Selected.Count(s => pool[s.PoolIndex].InDomain) / 50.0;
        Assert.True(precision >= 0.95, $"precision {precision:P0}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameSampleAndDifferentSeedsGiveDifferentValidSamples()
    {
        var pool = Pool(2000, 2);
        DsirResult Run(int seed) => DsirSelection.Select(Targets(), () => pool.Select(p => p.Text), 30, new DsirOptions(buckets: 1000, seed: seed, minWords: 10));
        var first = Run(7);
        Assert.Equal(first.Selected, Run(7).Selected);
        var other = Run(8);
        Assert.NotEqual(first.Selected.Select(s => s.PoolIndex).Order(), other.Selected.Select(s => s.PoolIndex).Order());
        foreach (var sample in new[] { first, other })
        {
            Assert.Equal(30, sample.Selected.Select(s => s.PoolIndex).Distinct().Count());
            Assert.All(sample.Selected, s => Assert.True(BigramLanguageModel.Words(pool[s.PoolIndex].Text).Count() >= 10, $"line {s.PoolIndex} is short"));
            Assert.True(sample.Selected.Count(s => pool[s.PoolIndex].InDomain) >= 28);
        }
    }

    /// <summary>Top-k over the whole pool is the pool sorted by the log importance weight, computed here from the definition.</summary>
    [Fact]
    public void TopKRanksByTheLogImportanceWeightOfTheDefinition()
    {
        var pool = Pool(300, 4).Select(p => p.Text).ToList();
        var targets = Targets();
        const int m = 97;
        var result = DsirSelection.Select(targets, () => pool, pool.Count, new DsirOptions(buckets: m, deterministicTopK: true));

        var features = new HashedNgramFeatures(m);
        double[] Counts(IEnumerable<string> texts)
        {
            var counts = new double[m];
            foreach (var t in texts) foreach (var b in features.Buckets(t)) counts[b]++;
            return counts;
        }
        var target = Counts(targets);
        var raw = Counts(pool);
        double LogWeight(string text) => features.Buckets(text).Sum(b =>
            Math.Log((target[b] + 1) / (target.Sum() + m)) - Math.Log((raw[b] + 1) / (raw.Sum() + m)));
        var expected = pool.Select((t, i) => (i, w: LogWeight(t))).OrderByDescending(x => x.w).ThenBy(x => x.i).ToList();
        Assert.Equal(expected.Select(x => x.i), result.Selected.Select(s => s.PoolIndex));
        for (var i = 0; i < pool.Count; i++) Assert.Equal(expected[i].w, result.Selected[i].Score, 9);
    }

    /// <summary>With k = 1, Gumbel top-k picks each document with probability proportional to its importance weight.</summary>
    [Fact]
    public void ResamplingDrawsInProportionToTheImportanceWeight()
    {
        var pool = new[] { "kidney", "football", "kidney football", "goal" };
        var targets = new[] { "kidney disease" };
        var weights = DsirSelection.Select(targets, () => pool, pool.Length, new DsirOptions(buckets: 1000, deterministicTopK: true)).Selected
            .ToDictionary(s => s.PoolIndex, s => Math.Exp(s.Score));
        var total = weights.Values.Sum();
        var counts = new int[pool.Length];
        const int draws = 4000;
        for (var seed = 0; seed < draws; seed++)
            counts[DsirSelection.Select(targets, () => pool, 1, new DsirOptions(buckets: 1000, seed: seed)).Selected[0].PoolIndex]++;
        for (var i = 0; i < pool.Length; i++)
        {
            var p = weights[i] / total;
            var sd = Math.Sqrt(p * (1 - p) / draws);
            Assert.True(Math.Abs(counts[i] / (double)draws - p) <= 4 * sd + 1e-3, $"line {i}: drawn {counts[i] / (double)draws:P1}, expected {p:P1}");
        }
    }

    [Fact]
    public void HashedFeaturesAreUnigramsAndBigramsOfLowerCasedWordsWithinOneDocument()
    {
        var features = new HashedNgramFeatures(10_000);
        Assert.Equal(features.Buckets("Kidney disease, in patients."), features.Buckets("kidney DISEASE in patients"));
        Assert.Equal(features.Buckets("kidney disease"), new HashedNgramFeatures(10_000).Buckets("kidney disease"));
        Assert.Equal(3, features.Buckets("kidney disease").Count); // two unigrams, one bigram
        Assert.Empty(features.Buckets(" ,.; "));
        Assert.Single(features.Buckets("kidney"));
        // Joining two documents adds exactly the bigram across their boundary, which neither has alone.
        var joined = features.Buckets("chronic kidney disease").ToList();
        var apart = features.Buckets("chronic kidney").Concat(features.Buckets("disease")).ToList();
        Assert.Equal(apart.Count + 1, joined.Count);
        foreach (var b in apart) Assert.True(joined.Remove(b));
        Assert.Single(joined);
        // Word order matters for bigrams: "a b" and "b a" share unigrams, not (in general) the bigram.
        Assert.NotEqual(features.Buckets("kidney disease")[2], features.Buckets("disease kidney")[2]);
    }

    /// <summary>
    /// The pool is streamed, not kept: 200,000 freshly made lines are enumerated twice (counts, then
    /// scores), and at the end of each pass, after a full garbage collection, at most k of the
    /// 2,000 lines tracked during that pass are still alive. An implementation holding the pool (a
    /// list of lines, or of their features) would keep all 2,000 alive or enumerate once.
    /// </summary>
    [Fact]
    public void StreamingHoldsNoMoreThanKPoolLines()
    {
        const int lines = 200_000;
        const int k = 20;
        var enumerations = 0;
        var alive = new List<int>();
        IEnumerable<string> Generate()
        {
            enumerations++;
            var random = new Random(5);
            var tracked = new List<WeakReference<string>>();
            for (var i = 0; i < lines; i++)
            {
                var text = i % 10 == 3 ? Document(random, Medical, 12) : Document(random, Sports, 12);
                if (i % 100 == 0) tracked.Add(new WeakReference<string>(text));
                yield return text;
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            alive.Add(tracked.Count(w => w.TryGetTarget(out _)));
        }
        var result = Run(Generate, k);
        Assert.Equal(2, enumerations);
        Assert.Equal(2, alive.Count);
        Assert.All(alive, a => Assert.True(a <= k + 2, $"{a} of 2,000 tracked pool lines still alive after a pass"));
        Assert.Equal(lines, result.PoolDocuments);
        Assert.Equal(k, result.Selected.Count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DsirResult Run(Func<IEnumerable<string>> pool, int k) =>
        DsirSelection.Select(Targets(), pool, k, new DsirOptions(buckets: 1000));

    /// <summary>A 200,000-line pool file: selection by path and the third pass return the selected lines' text.</summary>
    [Fact]
    public void SelectsFromAPoolFileAndReadsTheSelectedLinesBack()
    {
        using var temp = TestPaths.NewTempFolder();
        var pool = Pool(200_000, 6);
        File.WriteAllLines(temp.File("pool.txt"), pool.Select(p => p.Text));
        var result = DsirSelection.Select(Targets(), temp.File("pool.txt"), 100, new DsirOptions(seed: 2));
        var texts = DsirSelection.ReadSelected(temp.File("pool.txt"), result.Selected);
        Assert.Equal(result.Selected.Select(s => pool[s.PoolIndex].Text), texts);
        Assert.True(result.Selected.Count(s => pool[s.PoolIndex].InDomain) >= 95);
    }

    [Fact]
    public void BadInputIsRefusedNamingTheFileOrTheValue()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("pool.txt"), new[] { "kidney disease", "football match" });
        var missing = Assert.Throws<DataException>(() => DsirSelection.Select(Targets(), temp.File("nope.txt"), 1));
        Assert.Contains("nope.txt", missing.Message);
        var empty = Assert.Throws<DataException>(() => DsirSelection.Select(new[] { "", " ... " }, temp.File("pool.txt"), 1, targetName: "t.txt"));
        Assert.Contains("t.txt", empty.Message);
        Assert.Contains("no words", empty.Message);
        Assert.Contains("0 documents", Assert.Throws<ConfigException>(() => DsirSelection.Select(Targets(), temp.File("pool.txt"), 0)).Message);
        Assert.Contains("buckets 0", Assert.Throws<ConfigException>(() => new DsirOptions(buckets: 0)).Message);
        File.WriteAllText(temp.File("empty.txt"), "");
        Assert.Contains("empty.txt", Assert.Throws<DataException>(() => DsirSelection.Select(Targets(), temp.File("empty.txt"), 1)).Message);
        Assert.Contains("no pool document has 5 or more words",
            Assert.Throws<DataException>(() => DsirSelection.Select(Targets(), temp.File("pool.txt"), 1, new DsirOptions(minWords: 5))).Message);
    }
}
