using System.Diagnostics;
using System.Globalization;
using Acclimate.Data.Corpora;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Adaptation.Selection;

/// <summary>The ways <see cref="SelectionJob"/> picks pool documents.</summary>
public enum SelectionMethod
{
    /// <summary>Embedding nearest neighbours of each target example (kNN-TAPT).</summary>
    Knn,
    /// <summary>Lucene BM25 neighbours of each target example.</summary>
    Bm25,
    /// <summary>Moore–Lewis cross-entropy difference of a target and a pool bigram model.</summary>
    Xent,
    /// <summary>DSIR hashed n-gram importance resampling; streams the pool file.</summary>
    Dsir,
    /// <summary>Every pool document scored with a domain classifier's importance weight p(target|x)/p(pool|x).</summary>
    Classifier,
}

/// <summary>What <see cref="SelectionJob.Run"/> selects from and where it writes. The option names in its errors are the CLI's (<c>acclimate select</c>).</summary>
public sealed record SelectionJobOptions
{
    /// <summary>How to select.</summary>
    public required SelectionMethod Method { get; init; }
    /// <summary>Target examples (plain text, JSONL with "text", or CoNLL sentences; see <see cref="InputTexts"/>).</summary>
    public required string Target { get; init; }
    /// <summary>The pool, one document per line (or JSONL / CoNLL as for the target; DSIR: plain text only, streamed).</summary>
    public required string Pool { get; init; }
    /// <summary>The selected documents, best first, one per line (written atomically).</summary>
    public required string Output { get; init; }
    /// <summary>Keep at most this many (0: every document knn/bm25 picked; xent and dsir need a number).</summary>
    public int Top { get; init; }
    /// <summary>knn/bm25: pool documents kept per target example.</summary>
    public int K { get; init; } = 50;
    /// <summary>knn and classifier: the sentence encoder folder.</summary>
    public string? Model { get; init; }
    /// <summary>Also write a TSV: rank, pool line, score, target line that pulled it in.</summary>
    public string? Scores { get; init; }
    /// <summary>knn: pool documents embedded and scored per block.</summary>
    public int BlockSize { get; init; } = 2048;
    /// <summary>Pool documents with fewer words are not candidates.</summary>
    public int MinWords { get; init; }
    /// <summary>xent: seed of the pool sample of the general model; classifier: of the cross-fitting folds; dsir: of the resampling noise.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Where the encoder runs (null: the default device).</summary>
    public string? Device { get; init; }
    /// <summary>classifier: also write one importance weight per pool line, in pool order (for <c>data.train_weights</c>).</summary>
    public string? Weights { get; init; }
    /// <summary>knn: a .npy cache of the pool's embeddings, read when it matches the pool and model, else written.</summary>
    public string? PoolEmbeddings { get; init; }
    /// <summary>dsir: hash buckets of the unigram+bigram features (null: 10,000).</summary>
    public int? Buckets { get; init; }
    /// <summary>dsir: keep the highest importance weights instead of resampling.</summary>
    public bool DsirTopK { get; init; }
    /// <summary>The JSONL field or Parquet column holding the text of <see cref="Target"/> and <see cref="Pool"/> files (default <c>text</c>).</summary>
    public string TextField { get; init; } = "text";
}

/// <summary>What a selection did.</summary>
/// <param name="Selected">Documents written.</param>
/// <param name="PoolDocuments">Documents in the pool.</param>
/// <param name="Targets">Target examples.</param>
/// <param name="How">The method, and for dsir whether it resampled (with its seed) or took the top weights.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record SelectionSummary(int Selected, long PoolDocuments, int Targets, string How, TimeSpan Elapsed);

/// <summary>
/// Selects pool documents that resemble a target set end to end, as <c>acclimate select</c> runs it:
/// checks the settings before reading anything, reads the target and the pool, drops pool documents
/// shorter than <see cref="SelectionJobOptions.MinWords"/> from the candidates (so kNN and BM25 still
/// find k qualifying neighbours per target), ranks with the chosen method, maps the ranks back to pool
/// lines and writes the selected text (one per line, line breaks inside a document folded to spaces),
/// the optional score TSV and, for the classifier, the per-line weights — each file atomically.
/// </summary>
public static class SelectionJob
{
    /// <summary>Runs the selection described by <paramref name="options"/>.</summary>
    public static SelectionSummary Run(SelectionJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var method = options.Method;
        var name = method.ToString().ToLowerInvariant();
        if (method != SelectionMethod.Dsir && (options.Buckets is not null || options.DsirTopK))
            throw new ConfigException($"--buckets and --top-k are read by --method dsir, not {name}.");
        if (options.Top < 0) throw new ConfigException($"--top {options.Top}: expected 0 or more.");
        if (method == SelectionMethod.Dsir) return Dsir(options, clock);

        if (options.Weights is not null && method != SelectionMethod.Classifier) throw new ConfigException($"--weights is written by --method classifier, not {name}.");
        if (options.PoolEmbeddings is not null && method != SelectionMethod.Knn) throw new ConfigException($"--pool-embeddings is read by --method knn, not {name}.");
        if (options.K < 1) throw new ConfigException($"--k {options.K}: expected 1 or more.");
        if (options.MinWords > 0 && method == SelectionMethod.Classifier && options.Weights is not null)
            throw new ConfigException("--weights writes one weight per pool line; --min-words would leave short lines without one. Drop one of the two.");
        if (method == SelectionMethod.Xent && options.Top == 0) throw new ConfigException("--method xent ranks the whole pool; say how many documents to keep with --top N.");
        if (method is SelectionMethod.Knn or SelectionMethod.Classifier && string.IsNullOrWhiteSpace(options.Model))
            throw new ConfigException($"--method {name} needs --model DIR, a sentence encoder{(method == SelectionMethod.Classifier ? " whose embeddings the domain classifier reads" : "")} (e.g. './acclimate model fetch all-MiniLM-L6-v2').");
        if (method == SelectionMethod.Knn && options.BlockSize < 1) throw new ConfigException($"--block-size {options.BlockSize}: expected 1 or more.");
        if (options.PoolEmbeddings is { } cache && !cache.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ConfigException($"--pool-embeddings {cache}: expected a .npy file name.");

        var targets = InputTexts.Read(options.Target, options.TextField);
        var documents = InputTexts.Read(options.Pool, options.TextField);
        var candidates = options.MinWords > 0
            ? Enumerable.Range(0, documents.Count).Where(i => BigramLanguageModel.Words(documents[i]).Skip(options.MinWords - 1).Any()).ToArray()
            : Enumerable.Range(0, documents.Count).ToArray();
        if (candidates.Length == 0) throw new DataException($"{options.Pool}: no pool document has {options.MinWords} or more words (--min-words).");
        var candidateTexts = candidates.Length == documents.Count ? documents : candidates.Select(i => documents[i]).ToList();
        IReadOnlyList<SelectedDocument> selected = method switch
        {
            SelectionMethod.Classifier => Classifier(options, targets, candidateTexts),
            SelectionMethod.Knn => Knn(options, targets, documents, candidates),
            SelectionMethod.Bm25 => Bm25Selection.Select(targets, candidateTexts, options.K),
            // The general model stands for the whole pool, short documents included: sampling it
            // from the long documents only would tilt it towards the target domain.
            SelectionMethod.Xent => CrossEntropyDifferenceSelection.Rank(targets, candidateTexts, options.Seed,
                general: CrossEntropyDifferenceSelection.PoolSample(documents, targets.Sum(t => BigramLanguageModel.Words(t).Count()), options.Seed)),
            _ => throw new ConfigException($"--method {name}: expected knn, bm25, xent, dsir or classifier."),
        };
        selected = selected.Select(s => s with { PoolIndex = candidates[s.PoolIndex] }).ToList();
        if (options.Top > 0) selected = selected.Take(options.Top).ToList();
        AtomicFile.WriteText(options.Output, writer =>
        {
            foreach (var s in selected) writer.WriteLine(documents[s.PoolIndex].ReplaceLineEndings(" "));
        });
        if (options.Scores is { } scores) WriteScores(scores, selected);
        return new SelectionSummary(selected.Count, documents.Count, targets.Count, name, clock.Elapsed);
    }

    /// <summary>dsir: streams the pool file (never read into memory; text, JSONL, .gz of either, Parquet); the selected records come from a third pass.</summary>
    private static SelectionSummary Dsir(SelectionJobOptions options, Stopwatch clock)
    {
        if (options.Weights is not null || options.PoolEmbeddings is not null) throw new ConfigException("--weights and --pool-embeddings are not read by --method dsir.");
        if (options.Top < 1) throw new ConfigException($"--top {options.Top}: --method dsir samples a fixed number of documents; expected --top 1 or more.");
        if (options.Pool.EndsWith(".conll", StringComparison.OrdinalIgnoreCase))
            throw new ConfigException($"--pool {options.Pool}: --method dsir streams a pool of documents (plain text, .jsonl, .gz of either, .parquet); a .conll pool is for the other methods.");
        var dsir = new DsirOptions(options.Buckets ?? 10_000, options.Seed, options.DsirTopK, options.MinWords);
        var targets = InputTexts.Read(options.Target, options.TextField);
        var result = DsirSelection.Select(targets, options.Pool, options.Top, dsir, options.Target, options.TextField);
        var texts = DsirSelection.ReadSelected(options.Pool, result.Selected, options.TextField);
        AtomicFile.WriteText(options.Output, writer =>
        {
            foreach (var text in texts) writer.WriteLine(text);
        });
        if (options.Scores is { } scores) WriteScores(scores, result.Selected);
        return new SelectionSummary(result.Selected.Count, result.PoolDocuments, targets.Count,
            $"dsir, {(dsir.DeterministicTopK ? "top-k" : $"resampled, seed {dsir.Seed}")}", clock.Elapsed);
    }

    private static void WriteScores(string path, IReadOnlyList<SelectedDocument> selected) =>
        AtomicFile.WriteText(path, writer =>
        {
            writer.WriteLine("rank\tpool_line\tscore\ttarget_line");
            for (var i = 0; i < selected.Count; i++)
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{i + 1}\t{selected[i].PoolIndex + 1}\t{selected[i].Score:G6}\t{(selected[i].Target is int t ? (t + 1).ToString(CultureInfo.InvariantCulture) : "")}"));
        });

    /// <summary>Every candidate with its importance weight, best first; the weights in pool order go to <see cref="SelectionJobOptions.Weights"/>.</summary>
    private static IReadOnlyList<SelectedDocument> Classifier(SelectionJobOptions options, IReadOnlyList<string> targets, IReadOnlyList<string> pool)
    {
        using var embedder = new SentenceEmbedder(options.Model!, new EmbeddingOptions(), options.Device);
        var values = DomainClassifierWeights.Compute(embedder.Embed(targets), embedder.Embed(pool), seed: options.Seed);
        if (options.Weights is { } weights)
            AtomicFile.WriteText(weights, writer =>
            {
                foreach (var w in values) writer.WriteLine(w.ToString("G6", CultureInfo.InvariantCulture));
            });
        return values.Select((w, i) => new SelectedDocument(i, w, null)).OrderByDescending(d => d.Score).ThenBy(d => d.PoolIndex).ToList();
    }

    private static IReadOnlyList<SelectedDocument> Knn(SelectionJobOptions options, IReadOnlyList<string> targets, IReadOnlyList<string> pool, IReadOnlyList<int> candidates)
    {
        using var embedder = new SentenceEmbedder(options.Model!, new EmbeddingOptions(), options.Device);
        var targetVectors = embedder.Embed(targets);
        // Blocks are embedded (or read from the cache) as the selector asks for them, so pool embeddings never all sit in memory.
        return NearestNeighbourSelection.Select(targetVectors, PoolEmbeddings.Blocks(embedder, pool, candidates, options.BlockSize, options.PoolEmbeddings), options.K);
    }
}
