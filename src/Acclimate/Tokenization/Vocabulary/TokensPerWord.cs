using System.Collections.Concurrent;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>
/// How finely a tokenizer cuts a corpus. Words are the tokenizer's own pre-tokenized words (for
/// BERT: split at whitespace and around each punctuation character); tokens exclude [CLS]/[SEP].
/// </summary>
/// <param name="Documents">Texts measured.</param>
/// <param name="Words">Pre-tokenized words.</param>
/// <param name="Tokens">Tokens, special tokens excluded.</param>
/// <param name="SplitWords">Words cut into two or more tokens.</param>
/// <param name="UnknownTokens">[UNK] tokens.</param>
public sealed record TokensPerWordReport(long Documents, long Words, long Tokens, long SplitWords, long UnknownTokens)
{
    /// <summary>Tokens per word (1.0 means every word is one token).</summary>
    public double TokensPerWord => Words == 0 ? 0 : (double)Tokens / Words;

    /// <summary>Fraction of words cut into two or more tokens.</summary>
    public double SplitWordFraction => Words == 0 ? 0 : (double)SplitWords / Words;

    /// <summary>Fraction of tokens that are [UNK].</summary>
    public double UnknownFraction => Tokens == 0 ? 0 : (double)UnknownTokens / Tokens;

    /// <summary>One line: "1.234 tokens/word (N tokens / M words; x% of words split; y% [UNK]; D documents)".</summary>
    public override string ToString() =>
        $"{TokensPerWord:F4} tokens/word ({Tokens:N0} tokens / {Words:N0} words; {SplitWordFraction:P1} of words split; " +
        $"{UnknownFraction:P2} [UNK]; {Documents:N0} documents)";

    /// <summary>Encodes every text (in parallel; the tokenizer is thread-safe) and counts words and tokens.</summary>
    public static TokensPerWordReport Measure(ITextTokenizer tokenizer, IEnumerable<string> texts, int threads = 0,
        IProgress<VocabularyProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        if (threads <= 0) threads = Environment.ProcessorCount;
        var options = new EncodeOptions { AddSpecialTokens = false };
        long documents = 0, words = 0, tokens = 0, split = 0, unknown = 0;
        var gate = new object();
        Parallel.ForEach(Partitioner.Create(texts.Chunk(32), EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new long[4],
            (batch, _, local) =>
            {
                var perWord = new Dictionary<int, int>();
                foreach (var text in batch)
                {
                    var encoded = tokenizer.Encode(text, options: options);
                    perWord.Clear();
                    for (int i = 0; i < encoded.Count; i++)
                    {
                        if (encoded.Ids[i] == tokenizer.UnkTokenId) local[3]++;
                        if (encoded.WordIds[i] is int w) perWord[w] = perWord.GetValueOrDefault(w) + 1;
                    }
                    local[0] += perWord.Count;
                    local[1] += encoded.Count;
                    local[2] += perWord.Values.Count(n => n > 1);
                }
                var done = Interlocked.Add(ref documents, batch.Length);
                if (done / 1024 != (done - batch.Length) / 1024) progress?.Report(new VocabularyProgress("measuring", done, null));
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    words += local[0];
                    tokens += local[1];
                    split += local[2];
                    unknown += local[3];
                }
            });
        return new TokensPerWordReport(documents, words, tokens, split, unknown);
    }
}
