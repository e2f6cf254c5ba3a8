using System.Collections.Concurrent;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>
/// How often each normalized, pre-tokenized word occurs in a corpus. Built by streaming the texts
/// once, in parallel: memory grows with the number of distinct words (per counting thread), never
/// with the corpus size.
/// </summary>
public sealed class WordFrequencies
{
    private const int BatchSize = 64;
    private const int ProgressEvery = 2048;

    private readonly Dictionary<string, long> _counts;

    private WordFrequencies(Dictionary<string, long> counts, long documents, long totalWords)
    {
        _counts = counts;
        Documents = documents;
        TotalWords = totalWords;
    }

    /// <summary>Word → number of occurrences.</summary>
    public IReadOnlyDictionary<string, long> Counts => _counts;

    /// <summary>Texts counted.</summary>
    public long Documents { get; }

    /// <summary>Word occurrences counted (the sum of <see cref="Counts"/>).</summary>
    public long TotalWords { get; }

    /// <summary>Counts the words of <paramref name="texts"/> as a BERT tokenizer with these settings splits them.</summary>
    public static WordFrequencies Count(IEnumerable<string> texts, bool lowercase, bool stripAccents, bool tokenizeChineseChars,
        int threads = 0, IProgress<VocabularyProgress>? progress = null) =>
        Count(texts, new WordSplitter(lowercase, stripAccents, tokenizeChineseChars), threads, progress);

    internal static WordFrequencies Count(IEnumerable<string> texts, WordSplitter splitter, int threads, IProgress<VocabularyProgress>? progress)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (threads <= 0) threads = Environment.ProcessorCount;
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        long documents = 0, words = 0;
        var gate = new object();
        void Merge(Dictionary<string, long> local, long localWords)
        {
            lock (gate)
            {
                foreach (var (w, c) in local) total[w] = total.GetValueOrDefault(w) + c;
                words += localWords;
            }
        }

        if (threads == 1)
        {
            var local = new Dictionary<string, long>(StringComparer.Ordinal);
            long n = 0;
            foreach (var text in texts)
            {
                n += CountInto(splitter, text, local);
                if (++documents % ProgressEvery == 0) progress?.Report(new VocabularyProgress("counting words", documents, null));
            }
            Merge(local, n);
        }
        else
        {
            // Batches keep the hand-off cheap; each worker counts into its own dictionary, merged once at the end.
            var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
            var partitioner = Partitioner.Create(texts.Chunk(BatchSize), EnumerablePartitionerOptions.NoBuffering);
            Parallel.ForEach(partitioner, options,
                () => (Counts: new Dictionary<string, long>(StringComparer.Ordinal), Words: 0L),
                (batch, _, local) =>
                {
                    foreach (var text in batch) local.Words += CountInto(splitter, text, local.Counts);
                    var done = Interlocked.Add(ref documents, batch.Length);
                    if (done / ProgressEvery != (done - batch.Length) / ProgressEvery)
                        progress?.Report(new VocabularyProgress("counting words", done, null));
                    return local;
                },
                local => Merge(local.Counts, local.Words));
        }
        progress?.Report(new VocabularyProgress("counting words", documents, documents));
        return new WordFrequencies(total, documents, words);
    }

    private static long CountInto(WordSplitter splitter, string text, Dictionary<string, long> counts)
    {
        long n = 0;
        foreach (var word in splitter.Words(text))
        {
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, word, out _)++;
            n++;
        }
        return n;
    }

    /// <summary>Builds frequencies from given counts (tests, or counts made elsewhere).</summary>
    public static WordFrequencies FromCounts(IReadOnlyDictionary<string, long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var copy = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (w, c) in counts)
        {
            if (string.IsNullOrEmpty(w)) throw new ArgumentException("words must not be empty", nameof(counts));
            if (c < 0) throw new ArgumentException($"word '{w}' has a negative count {c}", nameof(counts));
            if (c > 0) copy[w] = c;
        }
        return new WordFrequencies(copy, 0, copy.Values.Sum());
    }
}
