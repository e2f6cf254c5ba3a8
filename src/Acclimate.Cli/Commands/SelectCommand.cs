using System.CommandLine;
using System.Globalization;
using Acclimate.Adaptation.Selection;
using Acclimate.Errors;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate select</c>: pick the pool documents most like a small target set (embedding kNN,
/// BM25, Moore–Lewis cross-entropy difference, or DSIR hashed n-gram importance resampling, which
/// streams the pool file instead of reading it into memory) and write them one per line, ready for
/// <c>pretrain</c> (curated TAPT = TAPT text + the selected pool text); or (<c>--method
/// classifier</c>) score every pool document with a domain classifier's importance weight
/// p(target|x)/p(pool|x), written one per line with <c>--weights</c> for <c>data.train_weights</c>.
/// </summary>
internal static class SelectCommand
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
            var summary = SelectionJob.Run(new SelectionJobOptions
            {
                Method = result.GetValue(method)!.Trim().ToLowerInvariant() switch
                {
                    "knn" => SelectionMethod.Knn,
                    "bm25" => SelectionMethod.Bm25,
                    "xent" => SelectionMethod.Xent,
                    "dsir" => SelectionMethod.Dsir,
                    "classifier" => SelectionMethod.Classifier,
                    var other => throw new ConfigException($"--method {other}: expected knn, bm25, xent, dsir or classifier."),
                },
                Target = result.GetValue(target)!,
                Pool = result.GetValue(pool)!,
                Output = result.GetValue(outPath)!,
                Top = result.GetValue(top),
                K = result.GetValue(k),
                Model = result.GetValue(model),
                Scores = result.GetValue(scores),
                BlockSize = result.GetValue(blockSize),
                MinWords = result.GetValue(minWords),
                Seed = result.GetValue(seed),
                Device = result.GetValue(device),
                Weights = result.GetValue(weights),
                PoolEmbeddings = result.GetValue(poolEmbeddings),
                Buckets = result.GetResult(buckets) is { Implicit: false } ? result.GetValue(buckets) : null,
                DsirTopK = result.GetValue(topK),
                TextField = string.IsNullOrWhiteSpace(result.GetValue(textField)) ? throw new ConfigException("--text-field must not be empty.") : result.GetValue(textField)!,
            });
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"selected {summary.Selected:N0} of {summary.PoolDocuments:N0} pool documents for {summary.Targets:N0} target examples ({summary.How}) in {summary.Elapsed.TotalSeconds:F1} s; wrote {result.GetValue(outPath)}"));
            return 0;
        });
        return command;
    }
}
