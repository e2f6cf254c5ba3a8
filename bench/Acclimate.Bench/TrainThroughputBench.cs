using System.Diagnostics;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Bench;

/// <summary>
/// Forward+backward+AdamW throughput of a BERT-mini-like encoder (4 layers, hidden 256, 4 heads,
/// intermediate 1024, seq 128, vocab 30522) on CPU, for a token-classification head and for an MLM
/// head that scores 15% of positions. Model FLOPs per token are counted analytically (3× the
/// forward matmul FLOPs), and MFU is achieved FLOP/s over the fp32 matmul rate measured in the
/// same run.
/// </summary>
public static class TrainThroughputBench
{
    public static int Run(string[] args)
    {
        var batch = IntArg(args, "--batch", 16);
        var seq = IntArg(args, "--seq", 128);
        var steps = IntArg(args, "--steps", 20);
        var warmup = IntArg(args, "--warmup", 3);
        var threads = IntArg(args, "--threads", Environment.ProcessorCount);
        var layers = IntArg(args, "--layers", 4);
        var hidden = IntArg(args, "--hidden", 256);
        var heads = IntArg(args, "--heads", 4);
        var intermediate = IntArg(args, "--intermediate", 1024);
        var precisionArg = Array.IndexOf(args, "--precision") is var pi && pi >= 0 && pi + 1 < args.Length ? args[pi + 1] : "fp32";
        var precisions = precisionArg == "both" ? new[] { ComputePrecision.Fp32, ComputePrecision.Bf16 }
            : new[] { Enum.Parse<ComputePrecision>(precisionArg, ignoreCase: true) };
        TorchRuntime.EnsureInitialized();
        set_num_threads(threads);
        manual_seed(0);

        var matmul = MatmulRate.MeasureGflops();
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, torch threads {get_num_threads()}, fp32 matmul 1024³: {matmul:F1} GFLOP/s");
        Console.WriteLine($"batch {batch} × seq {seq}, {steps} timed steps after {warmup} warm-up steps");
        Console.WriteLine();
        Console.WriteLine($"{"head",-22} {"params",10} {"tokens/s",10} {"ms/step",9} {"GFLOP/tok",10} {"GFLOP/s",9} {"MFU",6} {"RSS MB",8}");

        var config = EncoderConfig.Create(ModelType.Bert, vocabSize: 30522, hiddenSize: hidden, numLayers: layers, numHeads: heads,
            intermediateSize: intermediate, maxPositions: 512).WithLabels(Enumerable.Range(0, 9).Select(i => $"L{i}").ToArray());
        foreach (var precision in precisions)
            foreach (var task in new[] { ModelTask.TokenClassification, ModelTask.MaskedLM })
            {
                Console.Write($"{precision,-5} ");
                using var autocast = Autocast.Enter(precision);
                RunOne(config, task, batch, seq, steps, warmup, matmul);
            }
        return 0;
    }

    private static void RunOne(EncoderConfig config, ModelTask task, int batch, int seq, int steps, int warmup, double matmulGflops)
    {
        using var model = ModelFactory.Create(config, task);
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-4);
        using var ids = randint(5, config.VocabSize, new long[] { batch, seq }, dtype: ScalarType.Int64);
        using var mask = ones(batch, seq, dtype: ScalarType.Int64);
        using var labels = task == ModelTask.MaskedLM
            ? where(rand(batch, seq).lt(0.15), ids, tensor(-100L))
            : randint(0, config.NumLabels, new long[] { batch, seq }, dtype: ScalarType.Int64);
        var maskedFraction = task == ModelTask.MaskedLM ? labels.ne(-100).to(ScalarType.Float32).mean().item<float>() : 1.0;

        var sw = new Stopwatch();
        for (var step = 0; step < warmup + steps; step++)
        {
            if (step == warmup) sw.Start();
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            ModelOutputs outputs;
            if (model is MaskedLmModel mlm)
            {
                // Score only the masked positions, as the pretraining collator will.
                var encoded = mlm.Encoder.Forward(ids, mask);
                using var selected = labels.ne(-100);
                var hidden = encoded.LastHiddenState[selected];
                var logits = mlm.PredictTokens(hidden);
                var loss = nn.functional.cross_entropy(logits, labels[selected]);
                loss.backward();
            }
            else
            {
                outputs = model.Forward(new ModelInputs(ids, mask) { Labels = labels });
                outputs.Loss!.backward();
            }
            optimizer.step();
        }
        sw.Stop();

        var tokensPerSecond = (double)batch * seq * steps / sw.Elapsed.TotalSeconds;
        var flopsPerToken = TrainingFlopsPerToken(config, seq, task, maskedFraction);
        var achieved = tokensPerSecond * flopsPerToken / 1e9;
        var parameters = model.parameters().Sum(p => p.numel());
        var rssMb = Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine($"{model.ArchitectureName,-22} {parameters / 1e6,9:F2}M {tokensPerSecond,10:F0} {sw.Elapsed.TotalMilliseconds / steps,9:F1} " +
                          $"{flopsPerToken / 1e9,10:F4} {achieved,9:F1} {achieved / matmulGflops,6:P0} {rssMb,8:F0}");
    }

    /// <summary>
    /// Training FLOPs per token = 3 × forward matmul FLOPs (backward costs twice the forward):
    /// per layer 2·(4H² + 2·H·I) for the projections and 2·2·L·H for attention scores and mixing,
    /// plus the head (MLM: transform 2H² and decoder 2·H·V on the masked fraction).
    /// </summary>
    public static double TrainingFlopsPerToken(EncoderConfig c, int seq, ModelTask task, double maskedFraction)
    {
        double h = c.HiddenSize, i = c.IntermediateSize;
        var perLayer = 2 * (4 * h * h + 2 * h * i) + 4.0 * seq * h;
        var head = task == ModelTask.MaskedLM
            ? maskedFraction * (2 * h * h + 2 * h * c.VocabSize)
            : 2 * h * c.NumLabels;
        return 3 * (c.NumHiddenLayers * perLayer + head);
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}
