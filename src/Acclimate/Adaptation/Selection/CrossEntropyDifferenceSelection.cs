namespace Acclimate.Adaptation.Selection;

/// <summary>
/// Moore–Lewis selection (2010): score each pool document by H_target(x) − H_pool(x), its
/// per-word cross-entropy under a language model of the target text minus that under a model of
/// a random pool sample of about the same number of words; the most negative are the most
/// target-like. Both models are bigram models over the same vocabulary (target ∪ pool sample). A
/// general corpus of one's own can stand in for the pool sample.
/// Returned scores are negated (higher = more target-like), as for the other selectors.
/// </summary>
public static class CrossEntropyDifferenceSelection
{
    /// <param name="general">Text for the general-domain model; null draws it from the pool (<see cref="PoolSample"/>).</param>
    public static IReadOnlyList<SelectedDocument> Rank(IReadOnlyList<string> targets, IReadOnlyList<string> pool, int seed = 1, IReadOnlyList<string>? general = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(pool);
        if (targets.Count == 0) throw new ArgumentException("no target documents to build the in-domain model from.", nameof(targets));
        if (pool.Count == 0) return Array.Empty<SelectedDocument>();
        var sample = general ?? PoolSample(pool, targets.Sum(t => BigramLanguageModel.Words(t).Count()), seed);
        var vocabulary = targets.Concat(sample).SelectMany(BigramLanguageModel.Words).Distinct(StringComparer.Ordinal).Count();
        var inDomain = new BigramLanguageModel(targets, vocabulary);
        var generalModel = new BigramLanguageModel(sample, vocabulary);
        var scores = new double[pool.Count];
        Parallel.For(0, pool.Count, i => scores[i] = generalModel.CrossEntropy(pool[i]) - inDomain.CrossEntropy(pool[i]));
        return Enumerable.Range(0, pool.Count).Select(i => new SelectedDocument(i, scores[i], null))
            .OrderByDescending(d => d.Score).ThenBy(d => d.PoolIndex).ToList();
    }

    /// <summary>Pool documents in a seeded random order until about <paramref name="words"/> words are in.</summary>
    public static List<string> PoolSample(IReadOnlyList<string> pool, int words, int seed)
    {
        var order = Enumerable.Range(0, pool.Count).ToArray();
        new Random(seed).Shuffle(order);
        var sample = new List<string>();
        var total = 0;
        foreach (var i in order)
        {
            sample.Add(pool[i]);
            total += BigramLanguageModel.Words(pool[i]).Count();
            if (total >= Math.Max(words, 1)) break;
        }
        return sample;
    }
}
