using Acclimate.Errors;

namespace Acclimate.Pretraining;

/// <summary>
/// Builds NSP (BERT) or SOP (ALBERT) sentence pairs from documents given as lists of segments
/// (sentences) of token ids without special tokens. The walk over a document follows HF's
/// TextDatasetForNextSentencePrediction and ALBERT's SOP dataset: segments are gathered until a
/// target length is reached, split at a random point into A and B, and then
/// <list type="bullet">
/// <item>NSP: with probability <see cref="SentencePairOptions.NegativeProbability"/> (always, when
/// the chunk has one segment) B is replaced by segments from a random start in another document,
/// label 1, and the unused segments of the chunk are put back; otherwise B is the actual
/// continuation, label 0.</item>
/// <item>SOP: A and B are consecutive; with probability NegativeProbability they are swapped,
/// label 1; otherwise label 0. A chunk of a single segment gives no SOP pair.</item>
/// </list>
/// Pairs longer than the maximum are cut by <see cref="TruncatePair"/>. Unlike HF, the random
/// document is drawn uniformly from the other non-empty documents (HF retries ten times and may
/// fall back to the same document), so a label 1 never pairs a document with itself.
/// </summary>
internal sealed class SentencePairBuilder
{
    private readonly IReadOnlyList<IReadOnlyList<int>>[] _documents;
    private readonly int[] _nonEmpty;

    /// <param name="options">Task, maximum length and special ids.</param>
    /// <param name="documents">Each document is a list of segments; each segment a list of token ids (empty segments are skipped).</param>
    public SentencePairBuilder(SentencePairOptions options, IReadOnlyList<IReadOnlyList<IReadOnlyList<int>>> documents)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(documents);
        options.Validate();
        Options = options;
        _documents = documents.Select(d => (IReadOnlyList<IReadOnlyList<int>>)d.Where(s => s.Count > 0).ToArray()).ToArray();
        _nonEmpty = Enumerable.Range(0, _documents.Length).Where(i => _documents[i].Count > 0).ToArray();
        if (options.Task == SentencePairTask.NextSentencePrediction && _nonEmpty.Length < 2)
            throw new DataException($"next-sentence prediction draws random segments from other documents, but only {_nonEmpty.Length} of " +
                                    $"{_documents.Length} documents have any tokens; give at least two.");
    }

    public SentencePairOptions Options { get; }

    public int DocumentCount => _documents.Length;

    /// <summary>The pairs of every document, in document order.</summary>
    public IEnumerable<SentencePairExample> Examples(Random random)
    {
        for (var d = 0; d < _documents.Length; d++)
            foreach (var example in ExamplesFromDocument(d, random))
                yield return example;
    }

    /// <summary>The pairs of document <paramref name="documentIndex"/>, drawing from <paramref name="random"/>.</summary>
    public IEnumerable<SentencePairExample> ExamplesFromDocument(int documentIndex, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (documentIndex < 0 || documentIndex >= _documents.Length)
            throw new ArgumentOutOfRangeException(nameof(documentIndex), documentIndex, $"there are {_documents.Length} documents.");
        var document = _documents[documentIndex];
        var maxTokens = Options.MaxContentTokens;
        // A few shorter pairs keep the model used to the short inputs it will see in fine-tuning.
        var target = random.NextDouble() < Options.ShortSequenceProbability ? random.Next(2, maxTokens + 1) : maxTokens;

        var chunk = new List<IReadOnlyList<int>>();
        var chunkLength = 0;
        for (var i = 0; i < document.Count; i++)
        {
            chunk.Add(document[i]);
            chunkLength += document[i].Count;
            if (i != document.Count - 1 && chunkLength < target) continue;

            var aEnd = chunk.Count >= 2 ? random.Next(1, chunk.Count) : 1;
            var a = Concat(chunk, 0, aEnd);
            List<int>? b = null;
            var label = 0;
            if (Options.Task == SentencePairTask.NextSentencePrediction)
            {
                if (chunk.Count == 1 || random.NextDouble() < Options.NegativeProbability)
                {
                    label = 1;
                    b = RandomContinuation(documentIndex, target - a.Count, random);
                    i -= chunk.Count - aEnd;   // the segments B did not use start the next chunk
                }
                else b = Concat(chunk, aEnd, chunk.Count);
            }
            else if (chunk.Count >= 2)
            {
                b = Concat(chunk, aEnd, chunk.Count);
                if (random.NextDouble() < Options.NegativeProbability)
                {
                    (a, b) = (b, a);
                    label = 1;
                }
            }
            chunk.Clear();
            chunkLength = 0;
            if (b is null) continue;
            TruncatePair(a, b, maxTokens, random);
            yield return Assemble(a, b, Options.ClsId, Options.SepId, label, documentIndex);
        }
    }

    /// <summary>
    /// HF's truncate_seq_pair: while A and B together exceed <paramref name="maxTokens"/>, remove one
    /// token from the longer (B on a tie), from the front or the back with equal probability.
    /// </summary>
    public static void TruncatePair(List<int> a, List<int> b, int maxTokens, Random random)
    {
        if (maxTokens < 2) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "a pair needs room for one token of each segment.");
        while (a.Count + b.Count > maxTokens)
        {
            var longer = a.Count > b.Count ? a : b;
            // Cutting from both ends, at random, avoids always dropping the same end of a segment.
            if (random.NextDouble() < 0.5) longer.RemoveAt(0);
            else longer.RemoveAt(longer.Count - 1);
        }
    }

    /// <summary>[CLS] A [SEP] B [SEP] with segment ids 0 … 0 1 … 1.</summary>
    public static SentencePairExample Assemble(IReadOnlyList<int> a, IReadOnlyList<int> b, int clsId, int sepId, int label, int documentIndex)
    {
        if (a.Count == 0 || b.Count == 0)
            throw new DataException($"document {documentIndex}: a sentence pair needs tokens in both segments (A has {a.Count}, B has {b.Count}).");
        var ids = new int[a.Count + b.Count + 3];
        var types = new int[ids.Length];
        var k = 0;
        ids[k++] = clsId;
        foreach (var t in a) ids[k++] = t;
        ids[k++] = sepId;
        var bStart = k;
        foreach (var t in b) ids[k++] = t;
        ids[k] = sepId;
        for (var i = bStart; i < ids.Length; i++) types[i] = 1;
        return new SentencePairExample(ids, types, label, documentIndex);
    }

    private List<int> RandomContinuation(int documentIndex, int targetLength, Random random)
    {
        // Uniform over the other non-empty documents: draw among n−1 and skip over our own.
        var ownSlot = Array.IndexOf(_nonEmpty, documentIndex);
        var slot = random.Next(_nonEmpty.Length - 1);
        if (slot >= ownSlot) slot++;
        var other = _documents[_nonEmpty[slot]];
        var start = random.Next(other.Count);
        var b = new List<int>();
        for (var j = start; j < other.Count; j++)
        {
            b.AddRange(other[j]);
            if (b.Count >= targetLength) break;
        }
        return b;
    }

    private static List<int> Concat(List<IReadOnlyList<int>> segments, int from, int to)
    {
        var result = new List<int>();
        for (var s = from; s < to; s++) result.AddRange(segments[s]);
        return result;
    }
}
