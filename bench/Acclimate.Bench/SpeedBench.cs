using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Bench;

/// <summary>
/// Issue 10's one-command speed table: the library's real training path (SequenceLabeler with a
/// linear or CRF head and the weighted tagging loss; MaskedLmModel scoring the masked 15 %; the
/// AdamWOptimizer) on the all-MiniLM-L6-v2 shape (6 × 384, 12 heads, intermediate 1,536, vocabulary
/// 30,522), in fp32 and bf16, against the fp32 matmul rate measured in the same process; the
/// kernel's share of CPU time over the timed steps (from /proc/self/stat); RSS after 10, 100 and
/// N steps of one configuration; and, when /usr/bin/python3 (or --python) has torch, the same work
/// in bench/pytorch_peer.py with the Acclimate / PyTorch ratio printed last, the peer's BLAS kernel
/// beside it, and no ratio when the peer's matmul rate is below half the library's (issue 24).
/// </summary>
public static class SpeedBench
{
    private const int Vocab = 30522;
    private const int NumTags = 9;

    private sealed record Work(string Name, int Batch, int Length, bool Crf, bool Mlm);

    private sealed record Row(string Work, string Precision, double TokensPerSecond, double MsPerStep, double GflopPerToken, double Gflops, double Mfu, double KernelShare, double FaultsPerStep)
    {
        /// <summary>Milliseconds per timed step in each phase: zero_grad, forward (model and loss), backward, clipping, the AdamW step.</summary>
        public double[] PhaseMs { get; init; } = [];
    }

    /// <summary>The phases of one training step, timed separately (the CPU runs torch synchronously, so a stopwatch around each is exact).</summary>
    internal static readonly string[] PhaseNames = ["zero_grad", "forward+loss", "backward", "clip", "adamw"];

    public static int Run(string[] args)
    {
        var threads = Int(args, "--threads", Environment.ProcessorCount);
        var steps = Int(args, "--steps", 20);
        var warmup = Int(args, "--warmup", 3);
        var rssSteps = Int(args, "--rss-steps", 500);
        var layers = Int(args, "--layers", 6);
        var hidden = Int(args, "--hidden", 384);
        var heads = Int(args, "--heads", 12);
        var intermediate = Int(args, "--intermediate", 1536);
        var precisions = Text(args, "--precision", "both") switch
        {
            "both" => new[] { ComputePrecision.Fp32, ComputePrecision.Bf16 },
            var one => new[] { Enum.Parse<ComputePrecision>(one, ignoreCase: true) },
        };
        var python = Text(args, "--python", "/usr/bin/python3");
        var only = Text(args, "--work", "all");   // all | linear | crf | mlm: one configuration while investigating

        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);
        var fp32 = MatmulRate.MeasureGflops();
        var bf16 = MatmulRate.MeasureGflops(dtype: ScalarType.BFloat16);
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, torch threads {threads}; 1024³ matmul fp32 {fp32:F1} GFLOP/s, bf16 {bf16:F1} GFLOP/s");
        Console.WriteLine($"model: {layers} layers × {hidden} ({heads} heads, intermediate {intermediate}), vocabulary {Vocab}; {steps} timed steps after {warmup} warm-up; MFU against the fp32 rate");
        Console.WriteLine();

        var config = EncoderConfig.Create(ModelType.Bert, vocabSize: Vocab, hiddenSize: hidden, numLayers: layers, numHeads: heads,
            intermediateSize: intermediate, maxPositions: 512);
        var works = new[]
        {
            new Work("finetune linear 16×64", 16, 64, Crf: false, Mlm: false),
            new Work("finetune CRF 16×64", 16, 64, Crf: true, Mlm: false),
            new Work("pretrain MLM 32×128", 32, 128, Crf: false, Mlm: true),
        };
        works = works.Where(w => only == "all" || (only == "mlm" ? w.Mlm : only == "crf" ? w.Crf && !w.Mlm : only == "linear" && !w.Crf && !w.Mlm)).ToArray();
        if (works.Length == 0) throw new ArgumentException($"--work expects all, linear, crf or mlm; got '{only}'.");
        var rows = new List<Row>();
        Console.WriteLine($"{"work",-24} {"precision",-9} {"tokens/s",9} {"ms/step",9} {"GFLOP/tok",10} {"GFLOP/s",8} {"MFU",6} {"kernel",7} {"faults/st",9}");
        foreach (var work in works)
            foreach (var precision in precisions)
            {
                var row = Measure(config, work, precision, steps, warmup, fp32, rssSteps: 0, out _);
                rows.Add(row);
                Console.WriteLine($"{row.Work,-24} {row.Precision,-9} {row.TokensPerSecond,9:F0} {row.MsPerStep,9:F1} {row.GflopPerToken,10:F4} {row.Gflops,8:F1} {row.Mfu,6:P0} {row.KernelShare,7:P1} {row.FaultsPerStep,9:F0}");
            }

        Console.WriteLine();
        Console.WriteLine($"{"phase ms/step",-34} " + string.Join(" ", PhaseNames.Select(p => $"{p,12}")));
        foreach (var row in rows)
            Console.WriteLine($"{row.Work + " " + row.Precision,-34} " + string.Join(" ", row.PhaseMs.Select(p => $"{p,12:F1}")));

        if (rssSteps > 0)
        {
            var rssPrecision = precisions[^1];
            Console.WriteLine();
            var rssWork = works.FirstOrDefault(w => w.Crf) ?? works[^1];
            Measure(config, rssWork, rssPrecision, steps: rssSteps, warmup: 0, fp32, rssSteps, out var rss);
            Console.WriteLine($"RSS, {rssWork.Name} {rssPrecision}: " + string.Join(", ", rss.Select(r => $"after {r.Step} steps {r.Megabytes:F0} MB")) +
                (rss.Any(r => r.Step >= 100) ? $"; RSS at {rss[^1].Step} / RSS at 100 = {rss[^1].Megabytes / rss.First(r => r.Step >= 100).Megabytes:P1}" : ""));
        }

        if (python != "none") RunPeer(python, rows, fp32, only, threads, steps, warmup, layers, hidden, heads, intermediate);
        return 0;
    }

    private static Row Measure(EncoderConfig config, Work work, ComputePrecision precision, int steps, int warmup, double fp32Gflops,
        int rssSteps, out List<(int Step, double Megabytes)> rss)
    {
        rss = new List<(int, double)>();
        manual_seed(1);
        var random = new Random(1);
        using var autocast = Autocast.Enter(precision);
        TransformerModel model = work.Mlm
            ? ModelFactory.Create(config, ModelTask.MaskedLM)
            : SequenceLabeler.Create(config, new SequenceLabelerOptions
            {
                Labels = Enumerable.Range(0, NumTags).Select(i => i == 0 ? "O" : $"{(i % 2 == 1 ? "B" : "I")}-T{(i + 1) / 2}").ToArray(),
                UseCrf = work.Crf,
            });
        using var _ = model;
        model.train();
        using var optimizer = AdamWOptimizer.Create(model, new AdamWSettings(5e-5));
        Func<Tensor> step = work.Mlm ? MlmStep((MaskedLmModel)model, work, random) : TaggingStep((SequenceLabeler)model, work, random);

        var clock = new Stopwatch();
        var phases = new double[PhaseNames.Length];
        var phaseClock = new Stopwatch();
        void Lap(int phase, bool timed)
        {
            if (timed) phases[phase] += phaseClock.Elapsed.TotalMilliseconds;
            phaseClock.Restart();
        }
        (double User, double System, long MinorFaults) cpuStart = default;
        double maskedFraction = work.Mlm ? 0.15 : 1.0;
        for (var i = 0; i < warmup + steps; i++)
        {
            if (i == warmup) { PerfControl("enable"); cpuStart = CpuSeconds(); clock.Start(); }
            var timed = i >= warmup;
            using (var scope = NewDisposeScope())
            {
                phaseClock.Restart();
                optimizer.ZeroGrad();
                Lap(0, timed);
                var loss = step();
                Lap(1, timed);
                loss.backward();
                Lap(2, timed);
                optimizer.ClipGradNormOnDevice(1.0);   // as TrainingLoop does: no host read in the step
                Lap(3, timed);
                optimizer.Step();
                Lap(4, timed);
            }
            if (rssSteps > 0 && (i + 1 == 10 || i + 1 == 100 || i + 1 == rssSteps || (i + 1) % 100 == 0))
                rss.Add((i + 1, Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024.0)));
        }
        clock.Stop();
        PerfControl("disable");
        var cpuEnd = CpuSeconds();
        var user = cpuEnd.User - cpuStart.User;
        var system = cpuEnd.System - cpuStart.System;
        var tokensPerSecond = (double)work.Batch * work.Length * steps / clock.Elapsed.TotalSeconds;
        var task = work.Mlm ? ModelTask.MaskedLM : ModelTask.TokenClassification;
        var flops = TrainThroughputBench.TrainingFlopsPerToken(config.WithLabels(Enumerable.Range(0, NumTags).Select(i => $"L{i}").ToArray()), work.Length, task, maskedFraction);
        var achieved = tokensPerSecond * flops / 1e9;
        return new Row(work.Name, precision.ToString().ToLowerInvariant(), tokensPerSecond, clock.Elapsed.TotalMilliseconds / steps,
            flops / 1e9, achieved, achieved / fp32Gflops, user + system > 0 ? system / (user + system) : double.NaN,
            (double)(cpuEnd.MinorFaults - cpuStart.MinorFaults) / steps) { PhaseMs = phases.Select(p => p / Math.Max(1, steps)).ToArray() };
    }

    /// <summary>Full-length rows of random tokens, one word per token, and a random tag per word.</summary>
    private static Func<Tensor> TaggingStep(SequenceLabeler labeler, Work work, Random random) => () =>
    {
        var examples = Enumerable.Range(0, work.Batch).Select(_ =>
        {
            var ids = new long[work.Length];
            var wordIds = new int?[work.Length];
            var labels = new long[work.Length];
            ids[0] = 101; ids[^1] = 102;
            labels[0] = labels[^1] = SubwordAlignment.IgnoreIndex;
            for (var t = 1; t < work.Length - 1; t++)
            {
                ids[t] = random.Next(1000, Vocab);
                wordIds[t] = t - 1;
                labels[t] = random.Next(NumTags);   // the CRF here is unconstrained, so any tag sequence is valid
            }
            return new LabelerExample(new LabelerInput(ids, wordIds, work.Length - 2), labels);
        }).ToArray();
        var batch = TaggingBatch.Collate(examples, 0);
        return WeightedTaggingLoss.Compute(labeler, batch);
    };

    /// <summary>Random token blocks, 15 % of positions masked and scored (as the pretraining collator does).</summary>
    private static Func<Tensor> MlmStep(MaskedLmModel model, Work work, Random random) => () =>
    {
        var count = work.Batch * work.Length;
        var ids = new long[count];
        var labels = new List<long>();
        var positions = new List<long>();
        for (var i = 0; i < count; i++)
        {
            ids[i] = random.Next(1000, Vocab);
            if (random.NextDouble() < 0.15) { positions.Add(i); labels.Add(ids[i]); ids[i] = 103; }
        }
        using var input = tensor(ids, new long[] { work.Batch, work.Length });
        using var mask = ones(work.Batch, work.Length, dtype: ScalarType.Int64);
        var encoded = model.Encoder.Forward(input, mask);
        using var flat = encoded.LastHiddenState.reshape(count, -1);
        using var index = tensor(positions.ToArray());
        using var selected = flat.index_select(0, index);
        using var logits = model.PredictTokens(selected);
        using var target = tensor(labels.ToArray());
        return nn.functional.cross_entropy(logits, target);
    };

    /// <summary>
    /// Tells a <c>perf record -D -1 --control fifo:CTL</c> around this process to sample only the
    /// timed steps (bench/bf16-profile.sh): ACCLIMATE_PERF_CTL names the fifo. perf polls it, so the
    /// switch lands within a few milliseconds, which the pause after it covers.
    /// </summary>
    private static void PerfControl(string command)
    {
        var control = Environment.GetEnvironmentVariable("ACCLIMATE_PERF_CTL");
        if (string.IsNullOrEmpty(control)) return;
        File.WriteAllText(control, command + "\n");
        Thread.Sleep(100);
    }

    /// <summary>User and system CPU seconds and minor page faults of this process so far.</summary>
    private static (double User, double System, long MinorFaults) CpuSeconds()
    {
        if (!File.Exists("/proc/self/stat")) return (double.NaN, double.NaN, 0);
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command name: field 3 is state, so minflt (10), utime (14) and stime (15) are at 7, 11 and 12.
        const double ticks = 100.0;   // USER_HZ on Linux
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) / ticks, long.Parse(fields[12], CultureInfo.InvariantCulture) / ticks,
            long.Parse(fields[7], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The peer's numbers are refused (shown, not compared) when its fp32 1024³ matmul rate is below
    /// this share of the library's measured in the same run: a peer whose BLAS runs a generic kernel
    /// (OpenBLAS without a kernel for this CPU ran at 36 GFLOP/s on a Xeon that gives 208 with
    /// SkylakeX, issue 24) measures its BLAS, not PyTorch.
    /// </summary>
    private const double PeerMinMatmulShare = 0.5;

    private static void RunPeer(string python, List<Row> rows, double fp32Gflops, string only, int threads, int steps, int warmup, int layers, int hidden, int heads, int intermediate)
    {
        Console.WriteLine();
        var script = Path.Combine(AppContext.BaseDirectory, "pytorch_peer.py");
        if (!File.Exists(script)) { Console.WriteLine($"PyTorch peer: {script} is missing; skipped."); return; }
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, "--threads", $"{threads}", "--steps", $"{steps}", "--warmup", $"{warmup}", "--layers", $"{layers}",
                     "--hidden", $"{hidden}", "--heads", $"{heads}", "--intermediate", $"{intermediate}", "--work", only,
                     "--min-gflops", (PeerMinMatmulShare * fp32Gflops).ToString("F1", CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.Environment["OPENBLAS_VERBOSE"] = "2";   // OpenBLAS prints the kernel it loaded ("Core: SkylakeX") on stderr
        // OpenBLAS picks its kernel at load time; without a kernel for the CPU it falls back to a
        // generic one several times slower. A value the user set (in the environment) is kept.
        var (coretype, why) = PeerCoretype();
        if (coretype is not null) start.Environment["OPENBLAS_CORETYPE"] = coretype;
        var l2 = Environment.GetEnvironmentVariable("OPENBLAS_L2_SIZE");
        Console.WriteLine($"PyTorch peer: OPENBLAS_CORETYPE={coretype ?? "(unset: OpenBLAS detects)"} ({why})" + (string.IsNullOrEmpty(l2) ? "" : $", OPENBLAS_L2_SIZE={l2} (from the environment)"));
        Process? process;
        try { process = Process.Start(start); }
        catch (Exception e) { Console.WriteLine($"PyTorch peer: could not start {python} ({e.Message}); skipped."); return; }
        if (process is null) return;
        var stderrTask = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var stderr = stderrTask.Result;
        var coreLine = stderr.Split('\n').FirstOrDefault(l => l.StartsWith("Core:", StringComparison.Ordinal));
        if (coreLine is not null) Console.WriteLine($"PyTorch peer: OpenBLAS said \"{coreLine.Trim()}\"");
        if (process.ExitCode == 3)
        {
            // The peer measured its own matmul rate against the floor passed in --min-gflops and stopped before any work.
            Console.WriteLine("PyTorch peer REFUSED: " + stdout.Split('\n').FirstOrDefault(l => l.StartsWith('{'))?.Trim());
            Console.WriteLine("PyTorch peer REFUSED: " + stderr.Trim().Split('\n').LastOrDefault());
            return;
        }
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"PyTorch peer: {python} {Path.GetFileName(script)} exited with {process.ExitCode}: {stderr.Trim().Split('\n').LastOrDefault()}; skipped " +
                              "(Debian: apt-get install python3-torch libopenblas0-pthread).");
            return;
        }
        var peer = stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var machine = peer.FirstOrDefault(p => p.TryGetProperty("matmul_gflops", out _));
        string? refusal = null;
        if (machine.ValueKind == JsonValueKind.Undefined)
            refusal = "the peer did not report its matmul rate";
        else
        {
            string? Str(string key) => machine.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            bool? Bool(string key) => machine.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
            var rate = machine.GetProperty("matmul_gflops").GetDouble();
            var libraries = machine.TryGetProperty("blas_libraries", out var libs) && libs.ValueKind == JsonValueKind.Array
                ? string.Join(", ", libs.EnumerateArray().Select(x => x.GetString())) : "?";
            var core = Str("openblas_core");
            Console.WriteLine($"PyTorch peer: torch {Str("torch")}, {Str("blas")} -> {(core is null ? $"{libraries} (not OpenBLAS, or no openblas_get_corename)" : $"OpenBLAS kernel {core} ({Str("openblas_library")})")}");
            Console.WriteLine($"PyTorch peer: init {Str("init") ?? "?"}, set_flush_denormal returned {Bool("set_flush_denormal_returned")?.ToString() ?? "?"}" +
                              $" (denormals flushed in worker threads: {Bool("denormals_flushed")?.ToString() ?? "?"}); fp32 1024³ matmul {rate:F1} GFLOP/s" +
                              $" = {rate / fp32Gflops:P0} of Acclimate's {fp32Gflops:F1}");
            if (rate < PeerMinMatmulShare * fp32Gflops)
                refusal = $"its fp32 1024³ matmul rate ({rate:F1} GFLOP/s) is below {PeerMinMatmulShare:P0} of the library's in this run ({fp32Gflops:F1} GFLOP/s), " +
                          $"so it would measure its BLAS kernel ({core ?? Str("blas")}), not PyTorch. Check OPENBLAS_CORETYPE for this CPU and that " +
                          "libopenblas0-pthread is the libblas.so.3 alternative";
        }
        if (refusal is not null)
            Console.WriteLine($"PyTorch peer REFUSED: {refusal}. Its tokens/s are printed but not compared.");
        Console.WriteLine($"{"work",-24} {"PyTorch fp32 tok/s",19} {"Acclimate fp32",15} {"ratio",7} {"Acclimate bf16",15} {"ratio",7}");
        foreach (var p in peer.Where(p => p.TryGetProperty("work", out _)))
        {
            var name = p.GetProperty("work").GetString()!;
            var theirs = p.GetProperty("tokens_per_second").GetDouble();
            var ours32 = rows.FirstOrDefault(r => r.Work == name && r.Precision == "fp32");
            var ours16 = rows.FirstOrDefault(r => r.Work == name && r.Precision == "bf16");
            string Cell(Row? r) => r is null ? $"{"-",15} {"-",7}"
                : refusal is not null ? $"{r.TokensPerSecond,15:F0} {"refused",7}"
                : $"{r.TokensPerSecond,15:F0} {r.TokensPerSecond / theirs,6:F2}×";
            Console.WriteLine($"{name,-24} {theirs,19:F0} {Cell(ours32)} {Cell(ours16)}");
        }
    }

    /// <summary>
    /// OPENBLAS_CORETYPE for the peer: the environment's value when set, else from /proc/cpuinfo's
    /// flags (avx512f → SkylakeX, avx2 → Haswell), else none (OpenBLAS's own detection).
    /// </summary>
    private static (string? Coretype, string Why) PeerCoretype()
    {
        var set = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (!string.IsNullOrWhiteSpace(set)) return (set, "set in the environment; kept");
        string[] flags;
        try
        {
            flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?
                .Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        }
        catch (IOException) { flags = []; }
        catch (UnauthorizedAccessException) { flags = []; }
        if (flags.Contains("avx512f")) return ("SkylakeX", "chosen from /proc/cpuinfo: avx512f");
        if (flags.Contains("avx2")) return ("Haswell", "chosen from /proc/cpuinfo: avx2");
        return (null, flags.Length == 0 ? "no /proc/cpuinfo flags" : "no avx2 in /proc/cpuinfo");
    }

    private static int Int(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }

    private static string Text(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
