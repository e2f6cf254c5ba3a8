using System.Text.Json.Nodes;
using Acclimate.Tests.Training;

namespace Acclimate.Tests.FineTuning;

/// <summary>
/// Issue 23: a fine-tuning run killed after epoch 2 of 4 and resumed must record all four epochs
/// (results.json "epochs", epochs.md), exactly as the uninterrupted run with the same seed does.
/// The kill is simulated by a fresh run folder holding what the killed run had on disk: the
/// checkpoint of epoch 2, metrics.jsonl, and best-model (the weights of the best epoch so far).
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class ResumedEpochRecordTests : IClassFixture<FineTuneCliFixtureHolder>
{
    private static readonly string[] FourEpochs = { "--set", "training.epochs=4", "--set", "training.keep_last=0", "--set", "training.save_every=1000" };

    private readonly FineTuneCliFixture _f;

    public ResumedEpochRecordTests(FineTuneCliFixtureHolder holder) => _f = holder.Fixture;

    [Fact]
    public void A_tagging_run_resumed_after_epoch_2_of_4_records_all_four_epochs_like_the_uninterrupted_run()
    {
        var recipe = _f.Recipe("epochs-resume", model: "crf: true");
        var full = Finetune(recipe, FourEpochs);
        var resumed = KilledAfterEpoch(full, 2);
        Resume(recipe, resumed, FourEpochs);

        var (a, b) = (Results(full), Results(resumed));
        var epochs = b["epochs"]!.AsArray();
        Assert.Equal(4, epochs.Count);
        Assert.Equal(new[] { 1, 2, 3, 4 }, epochs.Select(e => e!["epoch"]!.GetValue<int>()));
        // The epochs really differ (equal records would make the comparison trivial).
        Assert.Equal(4, epochs.Select(e => e!["train_loss"]!.GetValue<double>()).Distinct().Count());
        Assert.Equal(a["epochs"]!.ToJsonString(), b["epochs"]!.ToJsonString());
        Assert.Equal(a["best_step"]!.GetValue<long>(), b["best_step"]!.GetValue<long>());
        Assert.Equal(a["dev"]!.ToJsonString(), b["dev"]!.ToJsonString());
        Assert.Equal(a["test"]!.ToJsonString(), b["test"]!.ToJsonString());

        var text = File.ReadAllText(Path.Combine(resumed, "epochs.md"));
        foreach (var epoch in new[] { 1, 2, 3, 4 }) Assert.Contains($"### epoch {epoch} (step ", text);
        Assert.Contains("| PER |", text);
        Assert.Equal(File.ReadAllText(Path.Combine(full, "epochs.md")), text);
    }

    [Fact]
    public void A_tagging_run_resumed_from_a_checkpoint_without_the_epoch_record_still_resumes_and_says_what_is_missing()
    {
        var recipe = _f.Recipe("epochs-resume-old", model: "crf: true");
        var full = Finetune(recipe, FourEpochs);
        var resumed = KilledAfterEpoch(full, 2);
        // A checkpoint written before trainer_state.json kept the evaluations.
        var statePath = Path.Combine(Directory.GetDirectories(Path.Combine(resumed, "checkpoints")).Single(), "trainer_state.json");
        var state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        foreach (var key in new[] { "evaluations", "train_loss_sum", "train_loss_count" }) state.Remove(key);
        File.WriteAllText(statePath, state.ToJsonString());
        Resume(recipe, resumed, FourEpochs);

        var (a, b) = (Results(full), Results(resumed));
        Assert.Equal(new[] { 3, 4 }, b["epochs"]!.AsArray().Select(e => e!["epoch"]!.GetValue<int>()));
        Assert.Equal(a["best_step"]!.GetValue<long>(), b["best_step"]!.GetValue<long>());
        Assert.Equal(a["dev"]!.ToJsonString(), b["dev"]!.ToJsonString());
        var evaluatedSteps = EvaluatedSteps(full);
        Assert.Equal(evaluatedSteps[1], b["epochs_missing_up_to_step"]!.GetValue<long>());
        Assert.Contains($"epochs up to step {evaluatedSteps[1]} are missing", File.ReadAllText(Path.Combine(resumed, "epochs.md")));
    }

    [Fact]
    public void A_classification_run_resumed_after_epoch_2_of_4_records_all_four_epochs_like_the_uninterrupted_run()
    {
        var data = _f.Temp.File("cls-epochs-resume.jsonl");
        File.WriteAllText(data, string.Join("\n", Enumerable.Range(0, 12).Select(i => i % 3 == 0
            ? $"{{\"text\": \"good great fine {i}\", \"label\": \"pos\"}}"
            : $"{{\"text\": \"bad awful poor {i}\", \"label\": \"neg\"}}")) + "\n");
        var settings = FourEpochs.Concat(new[] { "--set", "data.format=classification", "--set", $"data.train={data}", "--set", $"data.dev={data}", "--set", $"data.test={data}" }).ToArray();
        var recipe = _f.Recipe("cls-epochs-resume", model: "task: sequence_classification\npooling: mean");
        var full = Finetune(recipe, settings);
        var resumed = KilledAfterEpoch(full, 2);
        Resume(recipe, resumed, settings);

        var (a, b) = (Results(full), Results(resumed));
        Assert.Equal(4, b["epochs"]!.AsArray().Count);
        Assert.Equal(a["epochs"]!.ToJsonString(), b["epochs"]!.ToJsonString());
        Assert.Equal(a["best_step"]!.GetValue<long>(), b["best_step"]!.GetValue<long>());
        Assert.Equal(a["dev"]!.ToJsonString(), b["dev"]!.ToJsonString());
        Assert.Equal(File.ReadAllText(Path.Combine(full, "epochs.md")), File.ReadAllText(Path.Combine(resumed, "epochs.md")));
    }

    private string Finetune(string recipe, params string[] extra)
    {
        var run = _f.Temp.File("run-" + Path.GetFileNameWithoutExtension(recipe) + "-" + Guid.NewGuid().ToString("N")[..6]);
        var code = FineTuneCliFixture.Run(out var output, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", run }.Concat(extra).ToArray());
        Assert.True(code == 0, output + errors);
        return run;
    }

    private static void Resume(string recipe, string run, string[] settings)
    {
        var code = FineTuneCliFixture.Run(out var output, out var errors, new[] { "finetune", "--config", recipe, "--run-dir", run, "--resume" }.Concat(settings).ToArray());
        Assert.True(code == 0, output + errors);
        Assert.Contains("resuming from", output);
    }

    private static JsonNode Results(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;

    /// <summary>The steps of the dev evaluations (one per epoch) in a run's metrics.jsonl.</summary>
    private static long[] EvaluatedSteps(string run) => File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
        .Where(n => n.Any(kv => kv.Key.StartsWith("eval_", StringComparison.Ordinal))).Select(n => n["step"]!.GetValue<long>()).ToArray();

    /// <summary>
    /// A new run folder holding what <paramref name="full"/> had on disk when its epoch
    /// <paramref name="epoch"/> had been checkpointed: that checkpoint, metrics.jsonl (the resume
    /// cuts it back to the checkpoint) and best-model, the model of the best evaluation so far.
    /// </summary>
    private string KilledAfterEpoch(string full, int epoch)
    {
        var step = EvaluatedSteps(full)[epoch - 1];
        var run = _f.Temp.File("killed-" + Guid.NewGuid().ToString("N")[..6]);
        var checkpoint = Path.Combine(full, "checkpoints", $"checkpoint-{step}");
        CopyFiles(checkpoint, Path.Combine(run, "checkpoints", $"checkpoint-{step}"));
        File.Copy(Path.Combine(full, "metrics.jsonl"), Path.Combine(run, "metrics.jsonl"));
        var bestStep = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "trainer_state.json")))!["best_step"]!.GetValue<long>();
        CopyFiles(Path.Combine(full, "checkpoints", $"checkpoint-{bestStep}"), Path.Combine(run, "best-model"),
            skip: new[] { "optimizer.safetensors", "trainer_state.json" });
        return run;
    }

    private static void CopyFiles(string from, string to, string[]? skip = null)
    {
        Assert.True(Directory.Exists(from), $"{from} was not written");
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            if (skip is null || !skip.Contains(Path.GetFileName(file)))
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
