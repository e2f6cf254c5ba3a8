using System.Text;
using Acclimate.Errors;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>
/// Trains a BERT WordPiece vocabulary from a corpus, the way HF tokenizers' WordPieceTrainer does:
/// count the normalized, pre-tokenized words; start from the special tokens and the alphabet (every
/// kept character both as a word start <c>c</c> and as a continuation <c>##c</c>); then repeatedly
/// merge the adjacent pair of pieces that occurs most often across all words (weighted by word
/// count) into a new piece, until the vocabulary is full or no pair occurs
/// <see cref="WordPieceTrainerOptions.MinFrequency"/> times. Ties go to the pair of smaller ids, so
/// the output is deterministic. Words with a character outside the (limited) alphabet, or longer
/// than <see cref="WordPieceTrainerOptions.MaxWordChars"/>, do not take part: the tokenizer maps
/// them to [UNK] whatever the vocabulary.
/// </summary>
/// <example>
/// <code>
/// var options = new WordPieceTrainerOptions { VocabSize = 8000, Lowercase = true };
/// var vocab = new WordPieceTrainer(options).Train(File.ReadLines("corpus.txt"));
/// vocab.Save("my-tokenizer");                              // vocab.txt + tokenizer_config.json + special_tokens_map.json
/// var tokenizer = TokenizerLoader.FromFolder("my-tokenizer");
/// </code>
/// </example>
public sealed class WordPieceTrainer
{
    /// <summary>The continuation prefix of WordPiece pieces that do not start a word.</summary>
    public const string ContinuationPrefix = "##";

    /// <summary>Checks <paramref name="options"/> (throws <see cref="ConfigException"/>).</summary>
    public WordPieceTrainer(WordPieceTrainerOptions? options = null)
    {
        Options = options ?? new WordPieceTrainerOptions();
        Options.Validate();
    }

    /// <summary>The settings in use.</summary>
    public WordPieceTrainerOptions Options { get; }

    /// <summary>Counts the words of <paramref name="texts"/> (streamed once, in parallel), then trains on them.</summary>
    public WordPieceVocabulary Train(IEnumerable<string> texts, IProgress<VocabularyProgress>? progress = null) =>
        Train(CountWords(texts, progress), progress);

    /// <summary>Counts the words of <paramref name="texts"/> with this trainer's normalization.</summary>
    public WordFrequencies CountWords(IEnumerable<string> texts, IProgress<VocabularyProgress>? progress = null) =>
        WordFrequencies.Count(texts, Options.Lowercase, Options.EffectiveStripAccents, Options.TokenizeChineseChars, Options.Threads, progress);

    /// <summary>Trains on word counts made with this trainer's normalization (<see cref="CountWords"/>).</summary>
    public WordPieceVocabulary Train(WordFrequencies words, IProgress<VocabularyProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        var o = Options;
        var tokens = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int AddToken(string t)
        {
            if (ids.TryGetValue(t, out var id)) return id;
            ids[t] = tokens.Count;
            tokens.Add(t);
            return tokens.Count - 1;
        }
        foreach (var special in o.SpecialTokens) AddToken(special);

        var alphabet = Alphabet(words, o);
        foreach (var c in alphabet) AddToken(char.ConvertFromUtf32(c));
        foreach (var c in alphabet) AddToken(ContinuationPrefix + char.ConvertFromUtf32(c));
        if (tokens.Count > o.VocabSize)
            throw new ConfigException(
                $"vocabulary size {o.VocabSize} is too small: the {o.SpecialTokens.Count} special tokens and the {alphabet.Count}-character alphabet " +
                $"(each character as 'c' and '##c') already take {tokens.Count} tokens; raise the vocabulary size or limit the alphabet.");
        int alphabetTokens = tokens.Count;

        var merger = new PairMerger(tokens, ids, words, new HashSet<int>(alphabet), o);
        int merges = merger.Run(o.VocabSize, progress);
        return new WordPieceVocabulary(tokens.ToArray(), o, alphabet.Count, alphabetTokens, merges, merger.WordsUsed, merger.WordsSkipped);
    }

    /// <summary>The characters of all words (weighted by count), the most frequent <see cref="WordPieceTrainerOptions.LimitAlphabet"/> kept, in code point order.</summary>
    private static List<int> Alphabet(WordFrequencies words, WordPieceTrainerOptions o)
    {
        var counts = new Dictionary<int, long>();
        foreach (var (word, count) in words.Counts)
        {
            if (WordSplitter.CodePoints(word) > o.MaxWordChars) continue;
            foreach (var rune in word.EnumerateRunes()) counts[rune.Value] = counts.GetValueOrDefault(rune.Value) + count;
        }
        IEnumerable<int> kept = counts.Keys;
        if (o.LimitAlphabet is int limit && counts.Count > limit)
            kept = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(limit).Select(kv => kv.Key);
        var list = kept.ToList();
        list.Sort();
        return list;
    }

    /// <summary>BPE-style merging over the distinct words, with incremental pair counts and a lazy max-heap.</summary>
    private sealed class PairMerger
    {
        private readonly List<string> _tokens;
        private readonly Dictionary<string, int> _ids;
        private readonly List<int[]> _symbols = new();
        private readonly List<int> _lengths = new();
        private readonly List<long> _counts = new();
        private readonly Dictionary<long, long> _pairCounts = new();
        private readonly Dictionary<long, List<int>> _where = new();
        private readonly PriorityQueue<long, (long Count, long Pair)> _heap = new(Comparer<(long Count, long Pair)>.Create(
            (x, y) => x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair)));
        private readonly long _minFrequency;

        public PairMerger(List<string> tokens, Dictionary<string, int> ids, WordFrequencies words, HashSet<int> alphabet, WordPieceTrainerOptions o)
        {
            _tokens = tokens;
            _ids = ids;
            _minFrequency = o.MinFrequency;
            // Ordinal word order: the word indices, and so every tie-break downstream, do not depend on hashing.
            foreach (var (word, count) in words.Counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var runes = word.EnumerateRunes().Select(r => r.Value).ToArray();
                if (runes.Length > o.MaxWordChars || runes.Any(r => !alphabet.Contains(r)))
                {
                    WordsSkipped++;
                    continue;
                }
                WordsUsed++;
                if (runes.Length < 2) continue;
                var symbols = new int[runes.Length];
                for (int i = 0; i < runes.Length; i++)
                    symbols[i] = ids[(i == 0 ? "" : ContinuationPrefix) + char.ConvertFromUtf32(runes[i])];
                int w = _symbols.Count;
                _symbols.Add(symbols);
                _lengths.Add(symbols.Length);
                _counts.Add(count);
                for (int i = 0; i + 1 < symbols.Length; i++)
                {
                    var pair = Pack(symbols[i], symbols[i + 1]);
                    _pairCounts[pair] = _pairCounts.GetValueOrDefault(pair) + count;
                    Where(pair).Add(w);
                }
            }
            foreach (var (pair, count) in _pairCounts) _heap.Enqueue(pair, (count, pair));
        }

        public int WordsUsed { get; }
        public int WordsSkipped { get; }

        private static long Pack(int a, int b) => ((long)a << 32) | (uint)b;

        private List<int> Where(long pair)
        {
            if (!_where.TryGetValue(pair, out var list)) _where[pair] = list = new List<int>();
            return list;
        }

        public int Run(int vocabSize, IProgress<VocabularyProgress>? progress)
        {
            int merges = 0;
            var visited = new int[_symbols.Count];
            var delta = new Dictionary<long, long>();
            int start = _tokens.Count;
            while (_tokens.Count < vocabSize && _heap.TryDequeue(out var pair, out var queued))
            {
                var current = _pairCounts.GetValueOrDefault(pair);
                if (current != queued.Count)
                {
                    // Stale entry: the count dropped since it was queued; requeue at the true count.
                    if (current > 0) _heap.Enqueue(pair, (current, pair));
                    continue;
                }
                if (current < _minFrequency) break;
                int a = (int)(pair >> 32), b = (int)(uint)pair;
                var merged = _tokens[a] + _tokens[b][ContinuationPrefix.Length..];
                if (!_ids.TryGetValue(merged, out var newId))
                {
                    newId = _tokens.Count;
                    _ids[merged] = newId;
                    _tokens.Add(merged);
                }
                merges++;
                delta.Clear();
                int stamp = merges;
                foreach (var w in _where[pair])
                {
                    if (visited[w] == stamp) continue;
                    visited[w] = stamp;
                    MergeInWord(w, a, b, newId, delta);
                }
                _where.Remove(pair);
                _pairCounts.Remove(pair);
                foreach (var (p, d) in delta)
                {
                    if (p == pair) continue;
                    if (d > 0) _heap.Enqueue(p, (_pairCounts[p], p));
                }
                if (merges % 500 == 0) progress?.Report(new VocabularyProgress("merging pairs", _tokens.Count - start, vocabSize - start));
            }
            progress?.Report(new VocabularyProgress("merging pairs", _tokens.Count - start, vocabSize - start));
            return merges;
        }

        /// <summary>Replaces every (a, b) in word <paramref name="w"/> by <paramref name="merged"/>, updating pair counts.</summary>
        private void MergeInWord(int w, int a, int b, int merged, Dictionary<long, long> delta)
        {
            var s = _symbols[w];
            int n = _lengths[w];
            bool found = false;
            for (int i = 0; i + 1 < n; i++)
                if (s[i] == a && s[i + 1] == b) { found = true; break; }
            if (!found) return;
            long count = _counts[w];
            for (int i = 0; i + 1 < n; i++) Change(Pack(s[i], s[i + 1]), -count, delta);
            int m = 0;
            for (int i = 0; i < n; i++)
            {
                if (i + 1 < n && s[i] == a && s[i + 1] == b)
                {
                    s[m++] = merged;
                    i++;
                }
                else s[m++] = s[i];
            }
            _lengths[w] = m;
            for (int i = 0; i + 1 < m; i++)
            {
                var p = Pack(s[i], s[i + 1]);
                Change(p, count, delta);
                // Only pairs touching the new piece can be new to this word; the others already list it.
                if (s[i] == merged || s[i + 1] == merged) Where(p).Add(w);
            }
        }

        private void Change(long pair, long by, Dictionary<long, long> delta)
        {
            var now = _pairCounts.GetValueOrDefault(pair) + by;
            if (now == 0) _pairCounts.Remove(pair);
            else _pairCounts[pair] = now;
            delta[pair] = delta.GetValueOrDefault(pair) + by;
        }
    }
}
