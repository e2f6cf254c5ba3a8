using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Acclimate.Adaptation.Selection;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate select</c>: pick the pool documents most like a small target set (embedding kNN,
/// BM25, Moore–Lewis cross-entropy difference, or DSIR hashed n-gram importance resampling, which
/// streams the pool file instead of reading it into memory) and write them one per line, ready for
/// <c>pretrain</c> (curated TAPT = TAPT text + the selected pool text); or (<c>--method
/// classifier</c>) score every pool document with a domain classifier's importance weight
/// p(target|x)/p(pool|x), written one per line with <c>--weights</c> for <c>data.train_weights</c>.
/// </summary>
public static class SelectCommand
{
    public static Command Create(TextWriter output)
    {
        var method = new Option<string>("--method") { Description = "knn (embedding nearest neighbours), bm25 (Lucene BM25), xent (cross-entropy difference), dsir (hashed n-gram importance resampling, streams the pool) or classifier (domain-classifier importance weights).", Required = true };
        var target = new Option<string>("--target") { Description = "Target examples: one text per line, a .jsonl file with a \"text\" field, or a .conll file (its sentences).", Required = true };
        var pool = new Option<string>("--pool") { Description = "Pool to select from: one document per line (or a .jsonl file with \"text\", a .gz of either, a .parquet file's \"text\" column, or a .conll file: its sentences, in file order).", Required = true };
        var weights = new Option<string?>("--weights") { Description = "classifier: also write one importance weight per pool line, in pool order (for data.train_weights)." };
        var outPath = new Option<string>("--output") { Description = "Selected pool documents, best first, one per line.", Required = true };
        var top = new Option<int>("--top") { Description = "Keep at most this many documents (0: every document knn/bm25 picked; xent and dsir need a number)." };
        var k = new Option<int>("--k") { Description = "knn/bm25: pool documents kept per target example.", DefaultValueFactory = _ => 50 };
        var model = new Option<string?>("--model") { Description = "knn: the sentence encoder folder (e.g. from 'model fetch all-MiniLM-L6-v2')." };
        var scores = new Option<string?>("--scores") { Description = "Also write a TSV: rank, pool line, score, target line that pulled it in." };
        var blockSize = new Option<int>("--block-size") { Description = "knn: pool documents embedded and scored per block.", DefaultValueFactory = _ => 2048 };
        var minWords = new Option<int>("--min-words") { Description = "Pool documents with fewer words are not candidates (per-word scores of very short documents are noise)." };
        var seed = new Option<int>("--seed") { Description = "xent: seed of the pool sample the general model is trained on; classifier: seed of the cross-fitting folds; dsir: seed of the Gumbel resampling noise.", DefaultValueFactory = _ => 1 };
        var poolEmbeddings = new Option<string?>("--pool-embeddings") { Description = "knn: a .npy cache of the pool's embeddings: read when it exists (and was made from this pool and --model), else written while embedding, for the next selection." };
        var buckets = new Option<int>("--buckets") { Description = "dsir: hash buckets of the unigram+bigram features.", DefaultValueFactory = _ => 10_000 };
        var textField = new Option<string>("--text-field") { Description = "The JSONL field or Parquet column holding the text of --target and --pool files.", DefaultValueFactory = _ => "text" };
        var topK = new Option<bool>("--top-k") { Description = "dsir: keep the --top highest importance weights instead of resampling (deterministic, no --seed)." };
        var device = CommonOptions.Device();
        var command = new Command("select", "Select pool documents that resemble a target set (kNN-TAPT, BM25, Moore-Lewis); the output feeds 'pretrain'.")
        {
            method, target, pool, outPath, top, k, model, scores, blockSize, minWords, seed, device, weights, poolEmbeddings, buckets, topK, textField,
        };
        command.SetAction(result =>
        {
            var clock = Stopwatch.StartNew();
            var chosen = result.GetValue(method)!.Trim().ToLowerInvariant();
            if (chosen != "dsir" && (result.GetResult(buckets) is { Implicit: false } || result.GetValue(topK)))
                throw new ConfigException($"--buckets and --top-k are read by --method dsir, not {chosen}.");
            var field = result.GetValue(textField)!;
            if (string.IsNullOrWhiteSpace(field)) throw new ConfigException("--text-field must not be empty.");
            var targets = ReadInput(result.GetValue(target)!, field);
            if (chosen == "dsir")
                return Dsir(output, clock, targets, result.GetValue(target)!, result.GetValue(pool)!, result.GetValue(outPath)!, result.GetValue(scores), result.GetValue(top),
                    new DsirOptions(result.GetValue(buckets), result.GetValue(seed), result.GetValue(topK), result.GetValue(minWords)),
                    result.GetValue(weights) is not null || result.GetValue(poolEmbeddings) is not null, field);
            var documents = ReadInput(result.GetValue(pool)!, field);
            if (result.GetValue(weights) is not null && chosen != "classifier") throw new ConfigException($"--weights is written by --method classifier, not {chosen}.");
            if (result.GetValue(poolEmbeddings) is not null && chosen != "knn") throw new ConfigException($"--pool-embeddings is read by --method knn, not {chosen}.");
            var keep = result.GetValue(top);
            if (keep < 0) throw new ConfigException($"--top {keep}: expected 0 or more.");
            if (result.GetValue(k) < 1) throw new ConfigException($"--k {result.GetValue(k)}: expected 1 or more.");
            // --min-words removes short documents from the candidates before any method ranks them,
            // so kNN and BM25 still find k qualifying neighbours per target. Indices are mapped back
            // to pool lines below.
            var shortest = result.GetValue(minWords);
            if (shortest > 0 && chosen == "classifier" && result.GetValue(weights) is not null)
                throw new ConfigException("--weights writes one weight per pool line; --min-words would leave short lines without one. Drop one of the two.");
            var candidates = shortest > 0
                ? Enumerable.Range(0, documents.Count).Where(i => BigramLanguageModel.Words(documents[i]).Skip(shortest - 1).Any()).ToArray()
                : Enumerable.Range(0, documents.Count).ToArray();
            if (candidates.Length == 0) throw new DataException($"{result.GetValue(pool)}: no pool document has {shortest} or more words (--min-words).");
            var candidateTexts = candidates.Length == documents.Count ? documents : candidates.Select(i => documents[i]).ToList();
            IReadOnlyList<SelectedDocument> selected = chosen switch
            {
                "classifier" => Classifier(result.GetValue(model), targets, candidateTexts, result.GetValue(seed), result.GetValue(device), result.GetValue(weights)),
                "knn" => Knn(result.GetValue(model), targets, documents, candidates, result.GetValue(k), result.GetValue(blockSize), result.GetValue(device), result.GetValue(poolEmbeddings)),
                "bm25" => Bm25Selection.Select(targets, candidateTexts, result.GetValue(k)),
                "xent" => keep > 0 ? CrossEntropyDifferenceSelection.Rank(targets, candidateTexts, result.GetValue(seed),
                        // The general model stands for the whole pool, short documents included: sampling it
                        // from the long documents only would tilt it towards the target domain.
                        general: CrossEntropyDifferenceSelection.PoolSample(documents, targets.Sum(t => BigramLanguageModel.Words(t).Count()), result.GetValue(seed)))
                    : throw new ConfigException("--method xent ranks the whole pool; say how many documents to keep with --top N."),
                var other => throw new ConfigException($"--method {other}: expected knn, bm25, xent, dsir or classifier."),
            };
            selected = selected.Select(s => s with { PoolIndex = candidates[s.PoolIndex] }).ToList();
            if (keep > 0) selected = selected.Take(keep).ToList();
            var path = result.GetValue(outPath)!;
            AtomicFile.WriteText(path, writer =>
            {
                foreach (var s in selected) writer.WriteLine(documents[s.PoolIndex].ReplaceLineEndings(" "));
            });
            if (result.GetValue(scores) is { } scoresPath) WriteScores(scoresPath, selected);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"selected {selected.Count:N0} of {documents.Count:N0} pool documents for {targets.Count:N0} target examples ({result.GetValue(method)}) in {clock.Elapsed.TotalSeconds:F1} s; wrote {path}"));
            return 0;
        });
        return command;
    }

    /// <summary>dsir: streams the pool file (never read into memory; text, JSONL, .gz, Parquet); the selected records come from a third pass.</summary>
    private static int Dsir(TextWriter output, Stopwatch clock, IReadOnlyList<string> targets, string targetPath, string poolPath, string outPath,
        string? scoresPath, int top, DsirOptions options, bool otherMethodsOptions, string textField)
    {
        if (otherMethodsOptions) throw new ConfigException("--weights and --pool-embeddings are not read by --method dsir.");
        if (top < 1) throw new ConfigException($"--top {top}: --method dsir samples a fixed number of documents; expected --top 1 or more.");
        if (poolPath.EndsWith(".conll", StringComparison.OrdinalIgnoreCase))
            throw new ConfigException($"--pool {poolPath}: --method dsir streams a pool of documents (plain text, .jsonl, .gz of either, .parquet); a .conll pool is for the other methods.");
        var result = DsirSelection.Select(targets, poolPath, top, options, targetPath, textField);
        var texts = DsirSelection.ReadSelected(poolPath, result.Selected, textField);
        AtomicFile.WriteText(outPath, writer =>
        {
            foreach (var text in texts) writer.WriteLine(text);
        });
        if (scoresPath is not null) WriteScores(scoresPath, result.Selected);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"selected {result.Selected.Count:N0} of {result.PoolDocuments:N0} pool documents for {targets.Count:N0} target examples (dsir, {(options.DeterministicTopK ? "top-k" : $"resampled, seed {options.Seed}")}) in {clock.Elapsed.TotalSeconds:F1} s; wrote {outPath}"));
        return 0;
    }

    private static void WriteScores(string path, IReadOnlyList<SelectedDocument> selected) =>
        AtomicFile.WriteText(path, writer =>
        {
            writer.WriteLine("rank\tpool_line\tscore\ttarget_line");
            for (var i = 0; i < selected.Count; i++)
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{i + 1}\t{selected[i].PoolIndex + 1}\t{selected[i].Score:G6}\t{(selected[i].Target is int t ? (t + 1).ToString(CultureInfo.InvariantCulture) : "")}"));
        });

    /// <summary>Texts of an input file; a .conll file gives its sentences' words joined by spaces, in file order (so weights line up with data.train).</summary>
    public static IReadOnlyList<string> ReadInput(string path, string textField = "text")
    {
        if (!path.EndsWith(".conll", StringComparison.OrdinalIgnoreCase)) return EmbedCommand.ReadTexts(path, textField);
        if (!File.Exists(path)) throw new DataException($"{path}: input file not found.");
        return Acclimate.Data.Datasets.ConllReader.Read(path).Select(s => string.Join(' ', s.Words)).ToList();
    }

    /// <summary>Every pool document with its importance weight, best first; the weights in pool order go to <paramref name="weightsPath"/>.</summary>
    private static IReadOnlyList<SelectedDocument> Classifier(string? modelFolder, IReadOnlyList<string> targets, IReadOnlyList<string> pool, int seed, string? device, string? weightsPath)
    {
        if (string.IsNullOrWhiteSpace(modelFolder)) throw new ConfigException("--method classifier needs --model DIR, a sentence encoder whose embeddings the domain classifier reads (e.g. './acclimate model fetch all-MiniLM-L6-v2').");
        using var embedder = new SentenceEmbedder(modelFolder, new EmbeddingOptions(), device);
        var values = DomainClassifierWeights.Compute(embedder.Embed(targets), embedder.Embed(pool), seed: seed);
        if (weightsPath is not null)
            AtomicFile.WriteText(weightsPath, writer =>
            {
                foreach (var w in values) writer.WriteLine(w.ToString("G6", CultureInfo.InvariantCulture));
            });
        return values.Select((w, i) => new SelectedDocument(i, w, null)).OrderByDescending(d => d.Score).ThenBy(d => d.PoolIndex).ToList();
    }

    private static IReadOnlyList<SelectedDocument> Knn(string? modelFolder, IReadOnlyList<string> targets, IReadOnlyList<string> pool, IReadOnlyList<int> candidates,
        int k, int blockSize, string? device, string? cachePath)
    {
        if (string.IsNullOrWhiteSpace(modelFolder)) throw new ConfigException("--method knn needs --model DIR, a sentence encoder (e.g. './acclimate model fetch all-MiniLM-L6-v2').");
        if (blockSize < 1) throw new ConfigException($"--block-size {blockSize}: expected 1 or more.");
        if (cachePath is not null && !cachePath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ConfigException($"--pool-embeddings {cachePath}: expected a .npy file name.");
        using var embedder = new SentenceEmbedder(modelFolder, new EmbeddingOptions(), device);
        var targetVectors = embedder.Embed(targets);
        // Blocks are embedded (or read from the cache) as the selector asks for them, so pool embeddings never all sit in memory.
        return NearestNeighbourSelection.Select(targetVectors, PoolEmbeddings.Blocks(embedder, pool, candidates, blockSize, cachePath), k);
    }
}
