using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;

namespace Acclimate.Adaptation.Selection;

/// <summary>
/// BM25 selection with Lucene.Net: the pool is indexed in memory (English analyzer: lower case,
/// stop words, Porter stems; BM25 with k1 = 1.2, b = 0.75), every target example is run as a
/// query of its own terms, and its top-k pool documents are kept; the union is ranked by each
/// document's best score.
/// </summary>
public static class Bm25Selection
{
    private const LuceneVersion Version = LuceneVersion.LUCENE_48;
    private const string TextFieldName = "text";

    /// <summary>Runs every target as a query against the indexed <paramref name="pool"/> and keeps each query's top <paramref name="k"/> documents; the union is ranked by each document's best score.</summary>
    /// <param name="targets">In-domain texts, each used as a query.</param>
    /// <param name="pool">Candidate texts to select from.</param>
    /// <param name="k">Documents kept per query (at least 1).</param>
    public static IReadOnlyList<SelectedDocument> Select(IReadOnlyList<string> targets, IReadOnlyList<string> pool, int k)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        using var analyzer = new EnglishAnalyzer(Version);
        using var directory = new RAMDirectory();
        var similarity = new BM25Similarity(1.2f, 0.75f);
        using (var writer = new IndexWriter(directory, new IndexWriterConfig(Version, analyzer) { Similarity = similarity }))
        {
            for (var i = 0; i < pool.Count; i++)
                writer.AddDocument(new Document { new StoredField("id", i), new TextField(TextFieldName, pool[i] ?? "", Field.Store.NO) });
            writer.Commit();
        }
        using var reader = DirectoryReader.Open(directory);
        var searcher = new IndexSearcher(reader) { Similarity = similarity };
        var best = new Dictionary<int, SelectedDocument>();
        for (var t = 0; t < targets.Count; t++)
        {
            var terms = Terms(analyzer, targets[t]);
            if (terms.Count == 0) continue;
            var query = new BooleanQuery();
            foreach (var term in terms) query.Add(new TermQuery(new Term(TextFieldName, term)), Occur.SHOULD);
            foreach (var hit in searcher.Search(query, k).ScoreDocs)
            {
                var id = searcher.Doc(hit.Doc).GetField("id").GetInt32Value()!.Value;
                if (!best.TryGetValue(id, out var seen) || hit.Score > seen.Score) best[id] = new SelectedDocument(id, hit.Score, t);
            }
        }
        return best.Values.OrderByDescending(d => d.Score).ThenBy(d => d.PoolIndex).ToList();
    }

    /// <summary>The distinct analyzed terms of <paramref name="text"/>, capped at Lucene's clause limit.</summary>
    private static List<string> Terms(Analyzer analyzer, string text)
    {
        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var stream = analyzer.GetTokenStream(TextFieldName, text ?? "");
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken() && terms.Count < BooleanQuery.MaxClauseCount)
            if (seen.Add(term.ToString())) terms.Add(term.ToString());
        stream.End();
        return terms;
    }
}
