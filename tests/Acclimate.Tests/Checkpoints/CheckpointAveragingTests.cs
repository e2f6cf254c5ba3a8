using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Runtime;
using Acclimate.Tests.FineTuning;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Tests.Checkpoints;

public sealed class CheckpointAveragingTests : IClassFixture<InterpolationModels>
{
    private readonly InterpolationModels _m;

    public CheckpointAveragingTests(InterpolationModels models)
    {
        TorchRuntime.EnsureInitialized();
        _m = models;
    }

    /// <summary>A run folder with checkpoints 100 … 400 holding seeds 4, 1, 2, 3, each with training state beside the model.</summary>
    private string MakeRun()
    {
        var run = _m.NewPath("run");
        var steps = new[] { (100, _m.Seeds[3]), (200, _m.Seeds[0]), (300, _m.Seeds[1]), (400, _m.Seeds[2]) };
        foreach (var (step, model) in steps)
        {
            var checkpoint = Path.Combine(run, "checkpoints", $"checkpoint-{step}");
            Directory.CreateDirectory(checkpoint);
            foreach (var file in Directory.EnumerateFiles(model)) File.Copy(file, Path.Combine(checkpoint, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(checkpoint, "trainer_state.json"), $$"""{"global_step": {{step}}}""");
            File.Copy(Path.Combine(model, "model.safetensors"), Path.Combine(checkpoint, "optimizer.safetensors"));
        }
        return run;
    }

    [Fact]
    public void AveragingTheLastThreeCheckpointsIsTheElementwiseMean()
    {
        var run = MakeRun();
        var output = _m.NewPath("averaged");
        var result = CheckpointAveraging.Average(run, 3, output);
        Assert.EndsWith("checkpoint-400", result.CopiedFrom);
        Assert.False(File.Exists(Path.Combine(output, "trainer_state.json")));
        Assert.False(File.Exists(Path.Combine(output, "optimizer.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "config.json")));
        Assert.True(File.Exists(Path.Combine(output, "vocab.txt")));

        var inputs = _m.Seeds.Take(3).Select(s => InterpolationModels.ReadAll(s)).ToList();
        var averaged = InterpolationModels.ReadAll(output);
        try
        {
            Assert.Equal(inputs[0].Keys.Order(), averaged.Keys.Order());
            foreach (var (key, value) in averaged)
            {
                Assert.Equal(ScalarType.Float32, value.dtype);
                using var sum = inputs[0][key].to_type(ScalarType.Float64) + inputs[1][key].to_type(ScalarType.Float64) + inputs[2][key].to_type(ScalarType.Float64);
                using var mean = sum / 3;
                using var got = value.to_type(ScalarType.Float64);
                using var error = (got - mean).abs().max();
                Assert.True(error.item<double>() <= 1e-6, $"{key}: off by {error.item<double>()}");
            }
            // Checkpoint-100 (seed 4) is not part of the average.
            using var withOldest = (inputs[1]["embeddings.word_embeddings.weight"] + inputs[2]["embeddings.word_embeddings.weight"]) / 2;
            Assert.False(TensorAssert.BitEqual(withOldest, averaged["embeddings.word_embeddings.weight"]));
        }
        finally
        {
            foreach (var t in inputs.SelectMany(d => d.Values).Concat(averaged.Values)) t.Dispose();
        }

        var (model, report) = PretrainedModel.Load(output);
        using var _ = model;
        Assert.True(report.IsExactMatch, report.Describe());
    }

    [Fact]
    public void AveragingOneFolderReproducesIt()
    {
        var output = _m.NewPath("single");
        CheckpointAveraging.Average(new[] { _m.Seeds[0] }, output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_m.Seeds[0], "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void AskingForMoreCheckpointsThanTheRunKeptIsRefused()
    {
        var run = MakeRun();
        var output = _m.NewPath("never");
        var e = Assert.Throws<ConfigException>(() => CheckpointAveraging.Average(run, 5, output));
        Assert.Contains("has 4", e.Message);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void CheckpointsOfDifferentShapesAreRefusedNamingTheTensor()
    {
        var output = _m.NewPath("never");
        var e = Assert.Throws<CheckpointException>(() => CheckpointAveraging.Average(new[] { _m.Seeds[0], _m.Wide, _m.Seeds[1] }, output));
        Assert.Contains("tensor 'embeddings.LayerNorm.bias'", e.Message);
        Assert.Contains("[32]", e.Message);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void TheCliAveragesARunOrFoldersAndExitsWithTwoOnBadInput()
    {
        var run = MakeRun();
        var fromRun = _m.NewPath("cli-run");
        Assert.Equal(0, FineTuneCliFixture.Run(out var stdout, out var stderr, "model", "average", "--run", run, "--last", "3", "--output", fromRun));
        Assert.Contains("wrote", stdout);
        var fromList = _m.NewPath("cli-list");
        Assert.Equal(0, FineTuneCliFixture.Run(out _, out stderr, "model", "average", "--checkpoints",
            Path.Combine(run, "checkpoints", "checkpoint-200"), Path.Combine(run, "checkpoints", "checkpoint-300"), Path.Combine(run, "checkpoints", "checkpoint-400"),
            "--output", fromList));
        Assert.Equal(File.ReadAllBytes(Path.Combine(fromRun, "model.safetensors")), File.ReadAllBytes(Path.Combine(fromList, "model.safetensors")));

        var never = _m.NewPath("cli-never");
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var tooMany, "model", "average", "--run", run, "--last", "9", "--output", never));
        Assert.Contains("has 4", tooMany);
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var shapes, "model", "average", "--checkpoints", _m.Seeds[0], _m.Wide, "--output", never));
        Assert.Contains("embeddings.LayerNorm.bias", shapes);
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out _, "model", "average", "--output", never));
        Assert.False(Directory.Exists(never));
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var exists, "model", "average", "--run", run, "--last", "2", "--output", fromRun));
        Assert.Contains("--force", exists);
    }
}
