using System.Text.Json.Nodes;
using Acclimate.Experiments;
using Acclimate.Tests.FineTuning;
using Acclimate.Tests.Training;

namespace Acclimate.Tests.Experiments;

/// <summary>A sweep with a pretraining level, for real: tiny MLM runs, then taggers fine-tuned on their models.</summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class SweepPretrainingLevelTests : IClassFixture<FineTuneCliFixtureHolder>
{
    private readonly FineTuneCliFixture _f;

    public SweepPretrainingLevelTests(FineTuneCliFixtureHolder holder) => _f = holder.Fixture;

    [Fact]
    public void EachPretrainingRunIsMadeOnceResumedFromItsCheckpointAndFineTunedWithEverySeed()
    {
        var text = _f.Temp.File("level-text.txt");
        File.WriteAllLines(text, File.ReadAllText(_f.Conll).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(s => string.Join(" ", s.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]))));
        var pretrain = _f.Temp.File("level-pretrain.yaml");
        File.WriteAllText(pretrain, $"""
            run:
              folder: {_f.Temp.File("level-unused")}
            model:
              init: {_f.Encoder}
            objective:
              kind: mlm
            data:
              train: {text}
              block_size: 16
            training:
              learning_rate: 1.0e-3
              max_steps: 4
              batch_size: 2
              threads: 1
              log_every: 1
              save_every: 2
              seed: 1
            """);
        var recipe = _f.Recipe("level-tagger");
        var output = _f.Temp.File("level-sweep");
        var file = _f.Temp.File("level-sweep.yaml");
        File.WriteAllText(file, $"""
            kind: finetune
            recipe: {recipe}
            output: {output}
            metric: test.f1
            settings:
              base: {"{"} model.encoder: {_f.Encoder} {"}"}
              mlm: {"{"} pretrain.recipe: {pretrain}, pretrain.training.learning_rate: 2.0e-3 {"}"}
            axes:
              training.seed: [1, 2]
            pretraining_runs: [5, 6]
            baseline: base
            """);

        // Pretraining run 6 was killed after its second update, with a checkpoint: the sweep resumes it.
        var run6 = Path.Combine(output, "pretraining", "mlm", "run-6");
        Assert.Equal(0, FineTuneCliFixture.Run(out var pretrainOut, out var pretrainErr, "pretrain", "--config", pretrain,
            "--set", "training.learning_rate=2.0e-3", "--set", "training.seed=6", "--set", "run.folder=" + run6, "--stop-at-step", "2"));
        Assert.True(Directory.Exists(Path.Combine(run6, "checkpoints", "checkpoint-2")), pretrainOut + pretrainErr);

        var dry = new StringWriter();
        Assert.Equal(0, Acclimate.Cli.CliApp.Run(["sweep", "--config", file, "--dry-run"], dry, new StringWriter()));
        Assert.Contains("6 cells, 2 settings, 2 pretraining runs; nothing run", dry.ToString());

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.True(Acclimate.Cli.CliApp.Run(["sweep", "--config", file], stdout, stderr) == 0, stdout.ToString() + stderr);
        foreach (var run in new[] { "run-5", "run-6" })
        {
            var folder = Path.Combine(output, "pretraining", "mlm", run);
            Assert.True(SweepRunner.IsFinished(new SweepCell("mlm", run, pretrain, [], folder)));
            Assert.True(File.Exists(Path.Combine(folder, "model", "model.safetensors")));
            Assert.Equal(4, JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "forgetting.json")))!["steps"]!.GetValue<int>());
        }
        // The resumed run continued from step 2 (its log says so); it did not start over.
        var log6 = File.ReadAllText(Path.Combine(run6, "run.log"));
        Assert.Contains("checkpoint-2", log6);

        var recipeOfCell = File.ReadAllText(Path.Combine(output, "mlm", "pretraining-run-6", "seed-2", "recipe.yaml"));
        Assert.Contains(Path.Combine(run6, "model"), recipeOfCell);
        var leaderboard = File.ReadAllText(Path.Combine(output, "leaderboard.md"));
        Assert.Contains("| mlm | 2 | 4 |", leaderboard);
        Assert.Contains("over 2 pretraining runs", leaderboard);
        Assert.Contains("| mlm | ", leaderboard.Split('\n').Last(l => l.StartsWith("| mlm |", StringComparison.Ordinal)));
        Assert.Contains("| 2 | 4 | ", leaderboard.Split('\n').Last(l => l.StartsWith("| mlm |", StringComparison.Ordinal)));   // pretraining runs, updates
    }
}
