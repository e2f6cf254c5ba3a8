using System.Globalization;
using System.Text.RegularExpressions;
using Acclimate.Errors;
using Acclimate.Tokenization;

namespace Acclimate.Adaptation;

/// <summary>A corpus for domain comparison: its name and its documents (one per line).</summary>
public sealed record DomainCorpus(string Name, IReadOnlyList<string> Documents)
{
    /// <summary>Reads a one-document-per-line text file; the name defaults to the file's name.</summary>
    public static DomainCorpus Load(string path, string? name = null, int maxDocuments = int.MaxValue)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: corpus file not found.");
        var documents = File.ReadLines(path).Where(l => l.Trim().Length > 0).Take(maxDocuments).ToList();
        if (documents.Count == 0) throw new DataException($"{path}: the corpus has no non-empty line.");
        return new DomainCorpus(name ?? Path.GetFileNameWithoutExtension(path), documents);
    }
}

/// <summary>How a model's vocabulary fits a corpus.</summary>
/// <param name="TokensPerWord">Subword tokens per whitespace-separated word (special tokens excluded).</param>
/// <param name="UnknownRate">Share of subword tokens that are the unknown token.</param>
public sealed record VocabularyFit(string Corpus, long Words, double TokensPerWord, double UnknownRate);

/// <summary>
/// How far corpora are from each other: the DAPT paper's vocabulary overlap (the share of the top-k
/// most frequent words, stop words removed, that two corpora have in common), and how well a
/// model's vocabulary covers each corpus.
/// </summary>
public static class DomainSimilarity
{
    private static readonly Regex Word = new(@"[\p{L}\p{N}][\p{L}\p{N}'\-]*", RegexOptions.CultureInvariant);

    /// <summary>
    /// English stop words (articles, pronouns, auxiliaries, conjunctions, common prepositions):
    /// without them every English corpus would share its top words.
    /// </summary>
    public static IReadOnlySet<string> StopWords { get; } = new HashSet<string>(("a about above after again against all am an and any are as at be because been before being below " +
        "between both but by can could did do does doing down during each few for from further had has have having he her here hers herself " +
        "him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours " +
        "ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those " +
        "through to too under until up very was we were what when where which while who whom why will with would you your yours yourself " +
        "yourselves also may might must shall one two s t").Split(' '), StringComparer.Ordinal);

    /// <summary>The <paramref name="k"/> most frequent lower-cased words of a corpus, stop words and pure numbers left out (ties by word).</summary>
    public static IReadOnlyList<string> TopWords(DomainCorpus corpus, int k)
    {
        if (k < 1) throw new ConfigException($"top-k must be at least 1 (got {k}).");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var document in corpus.Documents)
            foreach (Match m in Word.Matches(document))
            {
                var w = m.Value.ToLowerInvariant();
                if (StopWords.Contains(w) || w.All(c => char.IsDigit(c) || c is '-' or '\'')) continue;
                counts[w] = counts.GetValueOrDefault(w) + 1;
            }
        return counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(k).Select(kv => kv.Key).ToList();
    }

    /// <summary>
    /// Pairwise vocabulary overlap: entry [i, j] is |top(i) ∩ top(j)| / k, in [0, 1] (1 on the
    /// diagonal). A corpus with fewer than k distinct words is compared over the words it has.
    /// </summary>
    public static double[,] VocabularyOverlap(IReadOnlyList<DomainCorpus> corpora, int k = 10_000)
    {
        if (corpora.Count == 0) throw new ConfigException("vocabulary overlap needs at least one corpus.");
        var tops = corpora.Select(c => TopWords(c, k).ToHashSet(StringComparer.Ordinal)).ToList();
        var result = new double[corpora.Count, corpora.Count];
        for (var i = 0; i < corpora.Count; i++)
            for (var j = 0; j < corpora.Count; j++)
            {
                var denominator = Math.Min(tops[i].Count, tops[j].Count);
                result[i, j] = denominator == 0 ? 0 : (double)tops[i].Count(tops[j].Contains) / denominator;
            }
        return result;
    }

    /// <summary>Tokens per word and unknown-token rate of <paramref name="tokenizer"/> on <paramref name="corpus"/>.</summary>
    public static VocabularyFit Fit(ITextTokenizer tokenizer, DomainCorpus corpus)
    {
        long words = 0, tokens = 0, unknown = 0;
        var options = new EncodeOptions { AddSpecialTokens = false };
        foreach (var document in corpus.Documents)
        {
            words += document.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            var encoded = tokenizer.Encode(document, options: options);
            tokens += encoded.Count;
            unknown += encoded.Ids.Count(id => id == tokenizer.UnkTokenId);
        }
        if (words == 0) throw new DataException($"corpus '{corpus.Name}': no words.");
        return new VocabularyFit(corpus.Name, words, (double)tokens / words, tokens == 0 ? 0 : (double)unknown / tokens);
    }

    /// <summary>A Markdown table of a square matrix with the corpus names as row and column headers, in percent.</summary>
    public static string MatrixMarkdown(IReadOnlyList<string> names, double[,] values, string corner)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"| {corner} | {string.Join(" | ", names)} |");
        text.AppendLine("|---|" + string.Concat(names.Select(_ => "---:|")));
        for (var i = 0; i < names.Count; i++)
            text.AppendLine($"| {names[i]} | {string.Join(" | ", names.Select((_, j) => (100 * values[i, j]).ToString("F1", CultureInfo.InvariantCulture)))} |");
        return text.ToString();
    }
}
