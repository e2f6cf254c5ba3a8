using System.Diagnostics;
using Acclimate.Encoders;
using Acclimate.OnnxRuntime;
using Acclimate.Runtime;

namespace Acclimate.Bench;

/// <summary>
/// <c>embed-backends --model DIR --texts FILE [--n 500] [--threads 1,2] [--max-length 128] [--cache DIR]</c>:
/// what <c>acclimate embed</c> does on its two backends — <c>--backend torch</c> (the library on libtorch,
/// fp32) and the default <c>--backend auto</c> (ONNX Runtime fp32 after the parity check) — in documents/s
/// at batch 1 and 32, interleaved in one process (warm-up, then the median of 3 repeats per path), plus
/// the first-use cost of auto (export + parity check, empty cache) and the agreement of the vectors.
/// </summary>
internal static class EmbedBackendsBench
{
    public static int Run(string[] args)
    {
        var model = Args.String(args, "--model");
        var textsPath = Args.String(args, "--texts");
        if (model is null || textsPath is null) { Console.Error.WriteLine("usage: embed-backends --model DIR --texts FILE [--n 500] [--threads 1,2] [--max-length 128] [--cache DIR]"); return 2; }
        var n = Args.Int(args, "--n", 500);
        var maxLength = Args.Int(args, "--max-length", 128);
        var threadCounts = (Args.String(args, "--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        var cache = Args.String(args, "--cache") ?? Path.Combine(Path.GetTempPath(), "acclimate-embed-backends-" + Guid.NewGuid().ToString("N"));
        var texts = File.ReadLines(textsPath).Where(l => l.Trim().Length > 0).Take(n).ToList();
        Console.WriteLine($"{texts.Count} texts of {texts.Average(t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length):F1} words on average from {textsPath}; max length {maxLength}; documents/s, median of 3 repeats, backends interleaved in one process");
        TorchRuntime.EnsureInitialized();

        // First use of auto: export to the (empty) cache and the parity check, then a cached open.
        var clock = Stopwatch.StartNew();
        using (var first = InferenceModels.OpenEmbedder(model, new EmbeddingOptions(MaxLength: maxLength), new InferenceOptions(CacheDirectory: cache, Threads: threadCounts[0]), Console.Out))
            Console.WriteLine($"first auto open (export + parity check): {clock.Elapsed.TotalSeconds:F1} s -> {first.Backend}");
        clock.Restart();
        using (var again = InferenceModels.OpenEmbedder(model, new EmbeddingOptions(MaxLength: maxLength), new InferenceOptions(CacheDirectory: cache, Threads: threadCounts[0])))
            Console.WriteLine($"cached auto open: {clock.Elapsed.TotalSeconds:F1} s -> {again.Backend}");

        Console.WriteLine("| threads | batch | embed --backend torch (libtorch fp32) | embed default (auto → ONNX Runtime fp32) | ratio | max \\|Δ\\| |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var threads in threadCounts)
        {
            TorchSharp.torch.set_num_threads(threads);
            foreach (var batch in new[] { 1, 32 })
            {
                var embedding = new EmbeddingOptions(MaxLength: maxLength, BatchSize: batch);
                using var torch = InferenceModels.OpenEmbedder(model, embedding, new InferenceOptions(InferenceBackend.Torch, cache, threads));
                using var auto = InferenceModels.OpenEmbedder(model, embedding, new InferenceOptions(InferenceBackend.Auto, cache, threads));
                if (auto.Backend.Backend != "onnx") Console.Error.WriteLine($"note: auto chose {auto.Backend}");
                // Batch 1 is what a caller embedding one text at a time gets; batch 32 is embed's default.
                float[][] Embed(ITextEmbedder e) => batch == 1 ? texts.Select(t => e.Embed(new[] { t })[0]).ToArray() : e.Embed(texts);
                var a = Embed(torch);
                var b = Embed(auto);   // also the warm-up
                var diff = a.Zip(b).Max(p => p.First.Zip(p.Second).Max(z => Math.Abs(z.First - z.Second)));
                var times = new[] { new List<double>(), new List<double>() };
                for (var repeat = 0; repeat < 3; repeat++)
                    foreach (var (e, i) in new[] { (torch, 0), (auto, 1) })
                    {
                        var watch = Stopwatch.StartNew();
                        Embed(e);
                        times[i].Add(watch.Elapsed.TotalSeconds);
                    }
                var rates = times.Select(t => texts.Count / t.Order().ElementAt(1)).ToArray();
                Console.WriteLine($"| {threads} | {batch} | {rates[0]:F1} | {rates[1]:F1} ({auto.Backend.Backend}) | {rates[1] / rates[0]:F2}× | {diff:E1} |");
            }
        }
        if (Args.String(args, "--cache") is null) Directory.Delete(cache, recursive: true);
        return 0;
    }
}
