using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Runtime;
using Acclimate.Tests.FineTuning;
using Acclimate.Tests.Pretraining;
using Xunit.Abstractions;

namespace Acclimate.Tests.Training;

/// <summary>A test that starts processes with Open MPI's mpirun: skipped, saying why, where it is not installed.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (DataParallelTrainingTests.MpirunPath() is null)
            Skip = "mpirun (Open MPI) is not installed: apt-get install openmpi-bin libopenmpi-dev (.ci/run does so when it runs as root)";
        else if (!File.Exists("/usr/lib/x86_64-linux-gnu/libmpi.so.40") && Environment.GetEnvironmentVariable("ACCLIMATE_LIBMPI") is null)
            Skip = "libmpi.so.40 (Open MPI 4.x) is not installed: apt-get install libopenmpi-dev, or set ACCLIMATE_LIBMPI";
    }
}

/// <summary>
/// Data-parallel training through the CLI under <c>mpirun</c>, on the tiny pretraining model of
/// <see cref="PretrainingRunTests"/>: two ranks with one micro-batch of 8 each give the same losses
/// and weights as one rank with the same global batch (two micro-batches of 8); a run resumes
/// exactly with a different rank count; a failing rank ends the job naming itself; a collective
/// whose peer never arrives ends the job after the timeout instead of hanging.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class DataParallelTrainingTests
{
    private readonly ITestOutputHelper _output;

    public DataParallelTrainingTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    internal static string? MpirunPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    private static string Recipe(TempFolder temp)
    {
        var train = PretrainingRunTests.WriteCorpus(temp, "train.txt", 400, 1);
        var path = temp.File("recipe.yaml");
        File.WriteAllText(path, $"""
            run:
              token_cache: {temp.File("tokens")}
            model:
              tokenizer: {PretrainingRunTests.BertTokenizer}
              architecture: bert
              hidden_size: 32
              num_layers: 2
              num_heads: 4
              intermediate_size: 48
              max_position_embeddings: 64
            training:
              batch_size: 8
              grad_accumulation: 2
              max_steps: 20
              learning_rate: 1e-3
              log_every: 1
              save_every: 10
              threads: 1
              seed: 3
            data:
              train: {train}
              block_size: 16
            """);
        return path;
    }

    /// <summary>Runs mpirun with the given process groups (each: ranks and CLI arguments, separated by ':').</summary>
    private (int Exit, string Output, TimeSpan Elapsed) Mpirun(IReadOnlyList<(int Ranks, string[] Args)> groups, int timeoutSeconds = 120, IReadOnlyDictionary<string, string>? env = null)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Acclimate.Cli.dll");
        var start = new ProcessStartInfo(MpirunPath()!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--oversubscribe");
        start.ArgumentList.Add("--allow-run-as-root");
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
            start.ArgumentList.Add("-x");
            start.ArgumentList.Add(name);
        }
        for (var g = 0; g < groups.Count; g++)
        {
            if (g > 0) start.ArgumentList.Add(":");
            start.ArgumentList.Add("-np");
            start.ArgumentList.Add(groups[g].Ranks.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("dotnet");
            start.ArgumentList.Add(cli);
            foreach (var a in groups[g].Args) start.ArgumentList.Add(a);
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun did not end within {timeoutSeconds} s (a hang):\n{stdout.Result}\n{stderr.Result}");
        }
        process.WaitForExit();
        var text = stdout.Result + "\n" + stderr.Result;
        _output.WriteLine($"mpirun {string.Join(" ", start.ArgumentList)}\nexit {process.ExitCode} after {clock.Elapsed.TotalSeconds:F1} s");
        return (process.ExitCode, text, clock.Elapsed);
    }

    private (int, string, TimeSpan) Pretrain(int ranks, string recipe, string folder, params string[] extra) =>
        Mpirun(new[] { (ranks, new[] { "pretrain", "--config", recipe, $"run.folder={folder}" }.Concat(extra).ToArray()) });

    private static Dictionary<long, double> Losses(string runFolder) =>
        File.ReadLines(Path.Combine(runFolder, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(r => r["loss"] is not null).ToDictionary(r => r["step"]!.GetValue<long>(), r => r["loss"]!.GetValue<double>());

    private static double MaxWeightDifference(string modelA, string modelB)
    {
        using var a = SafetensorsFile.Open(Path.Combine(modelA, "model.safetensors"));
        using var b = SafetensorsFile.Open(Path.Combine(modelB, "model.safetensors"));
        Assert.Equal(a.Tensors.Keys.OrderBy(k => k), b.Tensors.Keys.OrderBy(k => k));
        var max = 0.0;
        foreach (var key in a.Tensors.Keys)
        {
            using var x = a.ReadTensor(key);
            using var y = b.ReadTensor(key);
            using var d = (x.to_type(TorchSharp.torch.ScalarType.Float64) - y.to_type(TorchSharp.torch.ScalarType.Float64)).abs().max();
            max = Math.Max(max, d.item<double>());
        }
        return max;
    }

    [MpiFact]
    public void TwoRanksOfOneMicroBatchEachTrainLikeOneRankWithTheSameGlobalBatch()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = Recipe(temp);
        var (exit1, out1, _) = Pretrain(1, recipe, temp.File("one"));
        Assert.True(exit1 == 0, out1);
        // The ranks get a temporary folder of their own, so that the check below sees this run's rank 1
        // only (another suite running beside this one has rank-1 scratch folders of its own in /tmp).
        // Short, because Open MPI puts its session sockets there too.
        var ranksTemp = Path.Combine(Path.GetTempPath(), "acl-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(ranksTemp);
        try
        {
            var (exit2, out2, _) = Mpirun(new[] { (2, new[] { "pretrain", "--config", recipe, $"run.folder={temp.File("two")}" }) },
                env: new Dictionary<string, string> { ["TMPDIR"] = ranksTemp });
            Assert.True(exit2 == 0, out2);
            // Only rank 0 wrote: rank 1 left no scratch folder behind.
            Assert.Empty(Directory.EnumerateDirectories(ranksTemp, "acclimate-rank1-*"));
        }
        finally
        {
            Directory.Delete(ranksTemp, recursive: true);
        }

        var one = Losses(temp.File("one"));
        var two = Losses(temp.File("two"));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), two.Keys.Order());
        var maxLoss = one.Keys.Max(s => Math.Abs(one[s] - two[s]));
        var maxWeight = MaxWeightDifference(temp.File("one/model"), temp.File("two/model"));
        _output.WriteLine($"max |Δloss| = {maxLoss:G3} over 20 steps; max |Δweight| = {maxWeight:G3}");
        // fp32 sums in another order differ in the last bits; the per-step tolerance allows that, nothing more.
        Assert.True(maxLoss < 1e-5, $"max |Δloss| {maxLoss}");
        Assert.True(maxWeight < 1e-5, $"max |Δweight| {maxWeight}");
        // The run learned (the comparison is not between two runs that did nothing) …
        Assert.True(two[20] < two[1] - 0.2, $"loss {two[1]} → {two[20]}");
        // … and only rank 0 wrote: one metrics record per step, the all-reduce time among them.
        Assert.Equal(20, File.ReadLines(temp.File("two/metrics.jsonl")).Count());
        Assert.Contains("allreduce_seconds", File.ReadLines(temp.File("two/metrics.jsonl")).First());
    }

    [MpiFact]
    public void ElectraWithRehearsalAndEwcTrainsOnTwoRanksLikeOnOne()
    {
        using var temp = TestPaths.NewTempFolder();
        var general = PretrainingRunTests.WriteCorpus(temp, "general.txt", 100, 2);
        var recipe = temp.File("electra.yaml");
        File.WriteAllText(recipe, File.ReadAllText(Recipe(temp))
            .Replace("architecture: bert", "architecture: electra").Replace("num_heads: 4", "num_heads: 2")
            .Replace("max_steps: 20", "max_steps: 8\n  eval_every: 4")
            + $"\n  eval: {general}\n  eval_max_blocks: 8\nobjective:\n  kind: electra\ngeneral:\n  train: {general}\n  eval: {general}\n" +
            "forgetting:\n  rehearsal_domain: 2\n  rehearsal_general: 1\n  ewc: 10\n  ewc_fisher_batches: 2\n");
        var (exit, text, _) = Pretrain(1, recipe, temp.File("one"));
        Assert.True(exit == 0, text);
        (exit, text, _) = Pretrain(2, recipe, temp.File("two"));
        Assert.True(exit == 0, text);
        var records = File.ReadLines(temp.File("two/metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        // ELECTRA's own sampler is seeded per micro-batch too: the generator's and discriminator's losses and
        // the evaluation on the general set agree, not only the total.
        foreach (var key in new[] { "loss", "loss_generator", "loss_discriminator", "eval_general_loss" })
        {
            var a = File.ReadLines(temp.File("one/metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Where(r => r[key] is not null).ToDictionary(r => r["step"]!.GetValue<long>(), r => r[key]!.GetValue<double>());
            var b = records.Where(r => r[key] is not null).ToDictionary(r => r["step"]!.GetValue<long>(), r => r[key]!.GetValue<double>());
            Assert.True(a.Count > 0 && a.Count == b.Count, $"{key}: {a.Count} vs {b.Count} records");
            var max = a.Keys.Max(s => Math.Abs(a[s] - b[s]));
            _output.WriteLine($"{key}: max |Δ| = {max:G3}");
            Assert.True(max < 1e-5, $"{key}: max |Δ| {max}");
        }
        Assert.True(MaxWeightDifference(temp.File("one/model"), temp.File("two/model")) < 1e-5);
    }

    [MpiFact]
    public void TaggingAndClassificationFineTuneOnTwoRanksLikeOnOne()
    {
        using var fixture = new FineTuneCliFixture();
        var texts = fixture.Temp.File("cls.jsonl");
        File.WriteAllText(texts, string.Join("\n", Enumerable.Range(0, 16).Select(i => i % 3 == 0
            ? $"{{\"text\": \"good great fine {i}\", \"label\": \"pos\"}}"
            : $"{{\"text\": \"bad awful poor {i}\", \"label\": \"neg\"}}")) + "\n");
        foreach (var (task, model, data) in new[]
        {
            ("tagging", "crf: true", $"train: {fixture.Conll}\n  dev: {fixture.Conll}"),
            ("classification", "task: sequence_classification\n  pooling: mean", $"format: classification\n  train: {texts}\n  dev: {texts}"),
        })
        {
            var recipe = fixture.Temp.File(task + ".yaml");
            File.WriteAllText(recipe, $"""
                model:
                  encoder: {fixture.Encoder}
                  max_length: 16
                  stride: 4
                  {model}
                data:
                  {data}
                training:
                  learning_rate: 0.01
                  epochs: 2
                  batch_size: 2
                  grad_accumulation: 2
                  threads: 1
                  log_every: 1
                  seed: 1
                output:
                  dir: {fixture.Temp.Path}
                  name: {task}
                """);
            var runs = new[] { 1, 2 }.Select(n =>
            {
                var folder = fixture.Temp.File($"{task}-{n}");
                var (exit, text, _) = Mpirun(new[] { (n, new[] { "finetune", "--config", recipe, "--run-dir", folder }) });
                Assert.True(exit == 0, text);
                return folder;
            }).ToArray();
            var (one, two) = (Losses(runs[0]), Losses(runs[1]));
            Assert.True(one.Count >= 4 && one.Count == two.Count, $"{task}: {one.Count} vs {two.Count} steps");
            var max = one.Keys.Max(s => Math.Abs(one[s] - two[s]));
            _output.WriteLine($"{task}: max |Δloss| = {max:G3} over {one.Count} steps");
            Assert.True(max < 1e-5, $"{task}: max |Δloss| {max}");
            var (r1, r2) = (JsonNode.Parse(File.ReadAllText(Path.Combine(runs[0], "results.json")))!, JsonNode.Parse(File.ReadAllText(Path.Combine(runs[1], "results.json")))!);
            Assert.Equal(r1["dev"]!.ToJsonString(), r2["dev"]!.ToJsonString());
            Assert.Equal(r1["best_step"]!.GetValue<long>(), r2["best_step"]!.GetValue<long>());
        }
    }

    [MpiFact]
    public void ARunStoppedOnTwoRanksResumesOnOneAndContinuesExactly()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = Recipe(temp);
        var (exit, text, _) = Pretrain(2, recipe, temp.File("full"));
        Assert.True(exit == 0, text);
        (exit, text, _) = Pretrain(2, recipe, temp.File("cut"), "--stop-at-step", "10");
        Assert.True(exit == 0, text);
        var checkpoint = temp.File("cut/checkpoints/checkpoint-10");
        Assert.True(Directory.Exists(checkpoint), text);
        (exit, text, _) = Mpirun(new[] { (1, new[] { "pretrain", "--config", recipe, "--resume", checkpoint }) });
        Assert.True(exit == 0, text);

        var full = Losses(temp.File("full"));
        var resumed = Losses(temp.File("cut"));
        Assert.Equal(20, resumed.Count);
        var max = full.Keys.Max(s => Math.Abs(full[s] - resumed[s]));
        _output.WriteLine($"2 ranks uninterrupted vs 2 ranks to step 10 then 1 rank: max |Δloss| = {max:G3}");
        Assert.True(max < 1e-5, $"max |Δloss| {max}");
        Assert.True(MaxWeightDifference(temp.File("full/model"), temp.File("cut/model")) < 1e-5);
    }

    [MpiFact]
    public void ARankThatFailsEndsTheJobOnEveryRankNamingItself()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = Recipe(temp);
        var missing = temp.File("missing.txt");
        // Rank 1 gets a corpus that does not exist; rank 0 would wait for it in the first collective.
        var (exit, text, elapsed) = Mpirun(new[]
        {
            (1, new[] { "pretrain", "--config", recipe, $"run.folder={temp.File("run")}" }),
            (1, new[] { "pretrain", "--config", recipe, $"run.folder={temp.File("run")}", $"data.train={missing}" }),
        }, timeoutSeconds: 90);
        Assert.NotEqual(0, exit);
        Assert.Contains($"rank 1 of 2: error: {missing}: corpus not found", text);
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"took {elapsed}");
    }

    [MpiFact]
    public void RanksBuiltFromDifferentSeedsAreRefusedAtTheStart()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = Recipe(temp);
        var (exit, text, _) = Mpirun(new[]
        {
            (1, new[] { "pretrain", "--config", recipe, $"run.folder={temp.File("run")}" }),
            (1, new[] { "pretrain", "--config", recipe, $"run.folder={temp.File("run")}", "training.seed=4" }),
        }, timeoutSeconds: 90);
        Assert.NotEqual(0, exit);
        // Both ranks find the mismatch and either may reach MPI_Abort first; both name rank 1 and the parameter.
        Assert.Matches(@"rank [01] of 2: error: data-parallel training at the start: rank 1's weights differ from rank 0's, first at parameter 'bert\.embeddings\.word_embeddings\.weight'", text);
    }

    [MpiFact]
    public void ACollectiveWhosePeerNeverArrivesEndsTheJobAfterTheTimeout()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = Recipe(temp);
        // Rank 1 stops after update 5 and waits at the end; rank 0 waits for it in update 6's all-reduce.
        var (exit, text, elapsed) = Mpirun(new[]
        {
            (1, new[] { "pretrain", "--config", recipe, $"run.folder={temp.File("run")}" }),
            (1, new[] { "pretrain", "--config", recipe, $"run.folder={temp.File("run")}", "--stop-at-step", "5" }),
        }, timeoutSeconds: 90, env: new Dictionary<string, string> { ["ACCLIMATE_MPI_TIMEOUT"] = "3" });
        Assert.NotEqual(0, exit);
        Assert.Matches(@"rank [01] of 2: error: .* made no progress for \d+ s \(limit ACCLIMATE_MPI_TIMEOUT=3 s\)", text);
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"took {elapsed}");
    }
}
