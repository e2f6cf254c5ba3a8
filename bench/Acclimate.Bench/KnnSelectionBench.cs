using System.Diagnostics;
using Acclimate.Adaptation.Selection;
using Acclimate.Encoders;
using Acclimate.IO;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Bench;

/// <summary>
/// <c>knn-select</c>: issue 13's selection bench. kNN selection of a target set's neighbours from a
/// pool of (default) 1,000,000 documents whose embeddings are cached on disk as a .npy matrix, as
/// <c>acclimate select --method knn --pool-embeddings</c> reads them: time and peak resident memory
/// of writing the cache and of the selection, an exact brute-force check of a few targets, and (with
/// <c>--model DIR --texts FILE</c>) the encoder's embedding rate on real short documents, which is
/// what the first selection against a new pool costs.
/// </summary>
/// <remarks>
/// The pool vectors are synthetic (seeded Gaussian rows): the selection's cost depends on the matrix
/// sizes, not on what the vectors mean, and embedding a million documents with a real encoder on two
/// cores takes hours (the embedding rate is measured separately instead). Peak RSS is the kernel's
/// high-water mark (VmHWM), reset through /proc/self/clear_refs before each phase.
/// </remarks>
public static class KnnSelectionBench
{
    public static int Run(string[] args)
    {
        var poolSize = Args.Int(args, "--pool", 1_000_000);
        var targetCount = Args.Int(args, "--targets", 1_000);
        var dimension = Args.Int(args, "--dim", 384);
        var k = Args.Int(args, "--k", 50);
        var blockSize = Args.Int(args, "--block-size", 2048);
        var threads = Args.Int(args, "--threads", 0);
        var cache = Args.String(args, "--cache") ?? Path.Combine(Path.GetTempPath(), $"acclimate-knn-bench-{poolSize}x{dimension}.npy");
        TorchRuntime.EnsureInitialized();
        if (threads > 0) set_num_threads(threads);
        Console.WriteLine($"# kNN selection: pool {poolSize:N0} × {dimension}, {targetCount:N0} targets, k {k}, block {blockSize:N0}, {get_num_threads()} torch threads");
        Console.WriteLine($"baseline RSS {RssMb("VmRSS"):N0} MB");

        var random = new Random(1);
        ResetPeak();
        var clock = Stopwatch.StartNew();
        using (var writer = NpyMatrixFile.Create(cache, poolSize, dimension))
        {
            var block = new float[blockSize * dimension];
            for (var start = 0; start < poolSize; start += blockSize)
            {
                var rows = Math.Min(blockSize, poolSize - start);
                for (var i = 0; i < rows * dimension; i++) block[i] = Gaussian(random);
                writer.Append(block.AsSpan(0, rows * dimension));
            }
            writer.Commit();
        }
        Console.WriteLine($"write cache: {new FileInfo(cache).Length / 1e6:N0} MB in {clock.Elapsed.TotalSeconds:F1} s, peak RSS {RssMb("VmHWM"):N0} MB");

        var targets = Enumerable.Range(0, targetCount).Select(_ => Enumerable.Range(0, dimension).Select(_ => Gaussian(random)).ToArray()).ToArray();
        GC.Collect();
        ResetPeak();
        clock.Restart();
        IReadOnlyList<SelectedDocument> selected;
        using (var reader = NpyMatrixFile.Open(cache))
            selected = NearestNeighbourSelection.Select(targets, reader.Blocks(blockSize), k);
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"select: {selected.Count:N0} distinct documents in {seconds:F1} s ({poolSize / seconds:N0} pool rows/s, {2.0 * poolSize * targetCount * dimension / seconds / 1e9:F1} GFLOP/s in the scoring), peak RSS {RssMb("VmHWM"):N0} MB");

        // Exact check of three targets: their k best pool rows by a plain double-precision pass over the file.
        var checkedTargets = new[] { 0, targetCount / 2, targetCount - 1 };
        var exact = checkedTargets.ToDictionary(t => t, _ => new List<(double Score, long Row)>());
        var norms = checkedTargets.ToDictionary(t => t, t => Math.Sqrt(targets[t].Sum(v => (double)v * v)));
        using (var reader = NpyMatrixFile.Open(cache))
        {
            long row = 0;
            foreach (var (values, rows) in reader.Blocks(blockSize))
                for (var r = 0; r < rows; r++, row++)
                {
                    double norm = 0;
                    for (var d = 0; d < dimension; d++) norm += (double)values[r * dimension + d] * values[r * dimension + d];
                    foreach (var t in checkedTargets)
                    {
                        double dot = 0;
                        for (var d = 0; d < dimension; d++) dot += (double)targets[t][d] * values[r * dimension + d];
                        var list = exact[t];
                        list.Add((dot / (norms[t] * Math.Sqrt(norm)), row));
                        if (list.Count > 4 * k) { list.Sort((a, b) => b.Score.CompareTo(a.Score)); list.RemoveRange(k, list.Count - k); }
                    }
                }
        }
        var chosen = selected.Select(s => (long)s.PoolIndex).ToHashSet();
        var missing = 0;
        foreach (var t in checkedTargets)
        {
            var best = exact[t].OrderByDescending(x => x.Score).Take(k).ToList();
            // A row within float rounding of the k-th score may be swapped for its tie; count only clear misses.
            missing += best.Count(x => !chosen.Contains(x.Row) && x.Score - best[^1].Score > 1e-5);
        }
        Console.WriteLine($"exact check: {checkedTargets.Length} targets × top {k} by brute force, {missing} missing from the selection");

        if (Args.String(args, "--model") is { } model && Args.String(args, "--texts") is { } textsPath)
        {
            var sample = Args.Int(args, "--embed-sample", 5_000);
            var texts = File.ReadLines(textsPath).Where(l => l.Length > 0).Take(sample).ToList();
            using var embedder = new SentenceEmbedder(model, new EmbeddingOptions(MaxLength: 128));
            embedder.Embed(texts.Take(64).ToList());   // warm-up
            clock.Restart();
            embedder.Embed(texts);
            var rate = texts.Count / clock.Elapsed.TotalSeconds;
            var words = texts.Average(t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
            Console.WriteLine($"embed: {texts.Count:N0} documents of {words:F1} words on average at {rate:N0} documents/s: {poolSize / rate / 3600:F2} h for {poolSize:N0} (once per pool and model; the cache serves every later selection)");
        }
        if (!args.Contains("--keep-cache")) File.Delete(cache);
        return missing == 0 ? 0 : 1;
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

    /// <summary>Resets the kernel's peak-RSS mark (writing 5 to /proc/self/clear_refs); silently a no-op elsewhere.</summary>
    private static void ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static double RssMb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
