using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Adaptation.Selection;

/// <summary>Options of <see cref="DsirSelection"/>, validated at construction.</summary>
public sealed record DsirOptions
{
    /// <param name="buckets">Hash buckets m of the n-gram features (the paper: 10,000).</param>
    /// <param name="seed">Seed of the Gumbel noise of importance resampling.</param>
    /// <param name="deterministicTopK">Take the k highest importance weights instead of resampling.</param>
    /// <param name="minWords">Pool documents with fewer words are not candidates (they still count in the raw distribution).</param>
    public DsirOptions(int buckets = 10_000, int seed = 1, bool deterministicTopK = false, int minWords = 0)
    {
        if (buckets < 1) throw new ConfigException($"DSIR buckets {buckets}: expected 1 or more.");
        if (minWords < 0) throw new ConfigException($"DSIR min words {minWords}: expected 0 or more.");
        Buckets = buckets;
        Seed = seed;
        DeterministicTopK = deterministicTopK;
        MinWords = minWords;
    }

    /// <summary>Hash buckets m of the n-gram features.</summary>
    public int Buckets { get; }

    /// <summary>Seed of the Gumbel noise of importance resampling.</summary>
    public int Seed { get; }

    /// <summary>Take the k highest importance weights instead of resampling.</summary>
    public bool DeterministicTopK { get; }

    /// <summary>Pool documents with fewer words are not candidates.</summary>
    public int MinWords { get; }
}

/// <summary>What <see cref="DsirSelection"/> selected, and from how much.</summary>
/// <param name="Selected">The selected documents in sampling order (highest Gumbel key first; with top-k, highest weight first); <see cref="SelectedDocument.Score"/> is the log importance weight.</param>
/// <param name="PoolDocuments">Lines in the pool.</param>
/// <param name="Candidates">Pool lines with at least the minimum number of words.</param>
public sealed record DsirResult(IReadOnlyList<SelectedDocument> Selected, long PoolDocuments, long Candidates);

/// <summary>
/// DSIR, data selection with importance resampling (Xie et al. 2023): fit two bag-of-hashed-n-gram
/// distributions over <see cref="HashedNgramFeatures"/> buckets, p_target on the target texts and
/// p_raw on the pool (add-one smoothing), give each pool document the log importance weight
/// Σ over its n-grams of log p_target(bucket) − log p_raw(bucket), and sample k documents without
/// replacement with probability proportional to the weight by the Gumbel top-k trick (the k
/// largest log weight + Gumbel noise), or take the k largest weights.
/// The pool is streamed twice (counts, then scores) and never held: memory is the count vectors
/// (m doubles each) and a heap of k (key, line) pairs, whatever the pool's size;
/// <see cref="ReadSelected"/> fetches the selected lines by a third pass.
/// </summary>
public static class DsirSelection
{
    /// <summary>
    /// Selects <paramref name="count"/> records of the pool file <paramref name="poolPath"/>, streamed by
    /// <see cref="TextRecordReader"/>: plain text (every line a document), JSONL (the <c>text</c> field of
    /// every non-blank line), either gzip-compressed, or Parquet (the <c>text</c> column of every row).
    /// </summary>
    /// <param name="targetName">Names the target texts in error messages (e.g. their file).</param>
    /// <param name="textField">JSONL field or Parquet column holding the text.</param>
    public static DsirResult Select(IReadOnlyList<string> targets, string poolPath, int count, DsirOptions? options = null, string targetName = "target", string textField = "text")
    {
        ArgumentNullException.ThrowIfNull(poolPath);
        if (!File.Exists(poolPath)) throw new DataException($"{poolPath}: pool file not found.");
        return Select(targets, () => TextRecordReader.Read(poolPath, textField), count, options, poolPath, targetName);
    }

    /// <summary>
    /// Selects <paramref name="count"/> documents of a pool that <paramref name="pool"/> enumerates
    /// afresh on each call (it is called twice; the two enumerations must give the same lines).
    /// </summary>
    /// <param name="poolName">Names the pool in error messages.</param>
    /// <param name="targetName">Names the target texts in error messages.</param>
    public static DsirResult Select(IReadOnlyList<string> targets, Func<IEnumerable<string>> pool, int count, DsirOptions? options = null,
        string poolName = "pool", string targetName = "target")
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(pool);
        if (count < 1) throw new ConfigException($"DSIR selection of {count} documents: expected 1 or more.");
        options ??= new DsirOptions();
        var features = new HashedNgramFeatures(options.Buckets);
        var buckets = new List<int>();

        var targetCounts = new double[options.Buckets];
        var targetTotal = 0.0;
        foreach (var text in targets)
        {
            features.Extract(text, buckets);
            foreach (var b in buckets) targetCounts[b]++;
            targetTotal += buckets.Count;
        }
        if (targetTotal == 0) throw new DataException($"{targetName}: the target texts have no words; DSIR fits p_target on them.");

        // Pass 1: raw (pool) counts.
        var rawCounts = new double[options.Buckets];
        var rawTotal = 0.0;
        long lines = 0, candidates = 0;
        foreach (var text in pool())
        {
            lines++;
            var words = features.Extract(text, buckets);
            foreach (var b in buckets) rawCounts[b]++;
            rawTotal += buckets.Count;
            if (words >= options.MinWords) candidates++;
        }
        if (lines == 0) throw new DataException($"{poolName}: the pool has no lines.");
        if (candidates == 0) throw new DataException($"{poolName}: no pool document has {options.MinWords} or more words.");

        // log p_target − log p_raw per bucket, add-one smoothed; reuses targetCounts' memory.
        var logRatio = targetCounts;
        var m = options.Buckets;
        for (var j = 0; j < m; j++)
            logRatio[j] = Math.Log((targetCounts[j] + 1) / (targetTotal + m)) - Math.Log((rawCounts[j] + 1) / (rawTotal + m));

        // Pass 2: scores, keeping the k best keys in a min-heap (worst key on top; on equal keys the later line is worse).
        var heap = new PriorityQueue<SelectedDocument, (double Key, int Line)>(count + 1, KeyOrder.Instance);
        var random = new Random(options.Seed);
        var line = -1;
        foreach (var text in pool())
        {
            line++;
            // One draw per line, candidate or not, so a line's noise does not depend on --min-words.
            var gumbel = options.DeterministicTopK ? 0 : Gumbel(random);
            var words = features.Extract(text, buckets);
            if (words < options.MinWords) continue;
            var logWeight = 0.0;
            foreach (var b in buckets) logWeight += logRatio[b];
            var key = (logWeight + gumbel, line);
            if (heap.Count < count) heap.Enqueue(new SelectedDocument(line, logWeight, null), key);
            else if (heap.TryPeek(out _, out var worst) && KeyOrder.Instance.Compare(key, worst) > 0)
                heap.DequeueEnqueue(new SelectedDocument(line, logWeight, null), key);
        }
        if (line + 1 != lines) throw new DataException($"{poolName}: the pool gave {lines:N0} lines on the first pass and {line + 1:N0} on the second; it must not change during selection.");

        var selected = new SelectedDocument[heap.Count];
        for (var i = selected.Length - 1; i >= 0; i--) selected[i] = heap.Dequeue();
        return new DsirResult(selected, lines, candidates);
    }

    /// <summary>
    /// The texts of the <paramref name="selected"/> records of <paramref name="poolPath"/>, in the
    /// order given, by one more pass over the file (holding only the selected records).
    /// </summary>
    public static IReadOnlyList<string> ReadSelected(string poolPath, IReadOnlyList<SelectedDocument> selected, string textField = "text")
    {
        ArgumentNullException.ThrowIfNull(selected);
        if (!File.Exists(poolPath)) throw new DataException($"{poolPath}: pool file not found.");
        var wanted = new Dictionary<int, string?>(selected.Count);
        foreach (var s in selected) wanted[s.PoolIndex] = null;
        var line = -1;
        foreach (var text in TextRecordReader.Read(poolPath, textField))
        {
            line++;
            if (wanted.ContainsKey(line)) wanted[line] = text;
        }
        return selected.Select(s => wanted[s.PoolIndex]
            ?? throw new DataException($"{poolPath}: record {s.PoolIndex + 1} was selected but the file has only {line + 1} records now.")).ToList();
    }

    // Standard Gumbel draw −log(−log U), U uniform on (0, 1).
    private static double Gumbel(Random random)
    {
        var u = random.NextDouble();
        if (u <= 0) u = double.Epsilon;
        return -Math.Log(-Math.Log(u));
    }

    private sealed class KeyOrder : IComparer<(double Key, int Line)>
    {
        public static readonly KeyOrder Instance = new();

        // Ascending goodness: a higher key is better; on equal keys the earlier line is better.
        public int Compare((double Key, int Line) a, (double Key, int Line) b)
        {
            var byKey = a.Key.CompareTo(b.Key);
            return byKey != 0 ? byKey : b.Line.CompareTo(a.Line);
        }
    }
}
