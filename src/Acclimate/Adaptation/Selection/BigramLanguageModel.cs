using System.Text.RegularExpressions;

namespace Acclimate.Adaptation.Selection;

/// <summary>
/// A word bigram language model with interpolated absolute discounting (discount 0.75) over an
/// add-one unigram, enough to tell in-domain from out-of-domain text for Moore–Lewis selection.
/// Words are lower-cased letter/digit runs; every document is wrapped in &lt;s&gt; … &lt;/s&gt;.
/// </summary>
public sealed partial class BigramLanguageModel
{
    private const double Discount = 0.75;
    private const string Start = "<s>";
    private const string End = "</s>";
    private readonly Dictionary<string, long> _unigrams = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), long> _bigrams = new();
    private readonly Dictionary<string, long> _historyCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _followerTypes = new(StringComparer.Ordinal);
    private readonly int _vocabularySize;
    private long _tokens;

    /// <param name="documents">Training text, one document each.</param>
    /// <param name="vocabularySize">Size of the shared vocabulary (both models of a comparison must use the same one, plus one for unknown words).</param>
    public BigramLanguageModel(IEnumerable<string> documents, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        _vocabularySize = vocabularySize;
        foreach (var doc in documents)
        {
            var previous = Start;
            foreach (var word in Words(doc).Append(End))
            {
                _unigrams[word] = _unigrams.GetValueOrDefault(word) + 1;
                _tokens++;
                var pair = (previous, word);
                var count = _bigrams.GetValueOrDefault(pair);
                if (count == 0) _followerTypes[previous] = _followerTypes.GetValueOrDefault(previous) + 1;
                _bigrams[pair] = count + 1;
                _historyCounts[previous] = _historyCounts.GetValueOrDefault(previous) + 1;
                previous = word;
            }
        }
    }

    /// <summary>Lower-cased runs of letters and digits.</summary>
    public static IEnumerable<string> Words(string text) => WordPattern().Matches(text ?? "").Select(m => m.Value.ToLowerInvariant());

    /// <summary>Mean negative log-probability per word (nats), end-of-document included.</summary>
    public double CrossEntropy(string document)
    {
        var previous = Start;
        double total = 0;
        var count = 0;
        foreach (var word in Words(document).Append(End))
        {
            total -= Math.Log(Probability(previous, word));
            count++;
            previous = word;
        }
        return total / count;
    }

    private double Probability(string previous, string word)
    {
        var unigram = (_unigrams.GetValueOrDefault(word) + 1.0) / (_tokens + _vocabularySize + 1.0);
        if (!_historyCounts.TryGetValue(previous, out var history)) return unigram;
        var pair = Math.Max(_bigrams.GetValueOrDefault((previous, word)) - Discount, 0);
        var backoff = Discount * _followerTypes[previous] / history;
        return pair / history + backoff * unigram;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();
}
