using System.Text.Json.Nodes;
using Acclimate.Runtime;
using Acclimate.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Acclimate.Tests.Training;

/// <summary>
/// The acceptance test of checkpoint + resume: 12 updates uninterrupted versus 6 updates, every
/// object disposed, then 6 more in fresh objects resumed from checkpoint-6. Dropout is on, the
/// data is reshuffled every epoch (36 examples in batches of 4 = 9 micro-batches, 5 updates per
/// epoch, so the run crosses two epoch boundaries and resumes at the first update of epoch 1), and
/// the schedule warms up and decays.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class TrainingResumeTests
{
    private readonly ITestOutputHelper _output;

    public TrainingResumeTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    [Fact]
    public void ResumedRunReproducesTheUninterruptedLossesBitForBit()
    {
        using var folder = TestPaths.NewTempFolder();
        var options = TrainingRig.ResumeOptions;

        TrainingResult full;
        Dictionary<string, float[]> fullWeights;
        using (var rig = new TrainingRig(options, RunFolder.At(folder.File("full"))))
        {
            full = rig.Loop.Train();
            fullWeights = Weights(rig);
        }

        TrainingResult firstHalf;
        using (var rig = new TrainingRig(options, RunFolder.At(folder.File("split")), stopAtStep: 6))
            firstHalf = rig.Loop.Train();
        var checkpoint = Path.Combine(folder.File("split"), "checkpoints", "checkpoint-6");
        Assert.True(Directory.Exists(checkpoint), "checkpoint-6 was not written");

        // Fresh objects, built with a different init seed so the weights must come from the checkpoint.
        TrainingResult secondHalf;
        Dictionary<string, float[]> resumedWeights;
        using (var rig = new TrainingRig(options, RunFolder.At(folder.File("split")), initSeed: 999))
        {
            rig.Loop.ResumeFrom(checkpoint);
            secondHalf = rig.Loop.Train();
            resumedWeights = Weights(rig);
        }

        Assert.Equal(12, full.StepLosses.Count);
        Assert.Equal(6, firstHalf.StepLosses.Count);
        Assert.Equal(6, secondHalf.StartStep);
        Assert.Equal(6, secondHalf.StepLosses.Count);
        var split = firstHalf.StepLosses.Concat(secondHalf.StepLosses).ToList();
        for (var i = 0; i < 12; i++)
            _output.WriteLine($"step {i + 1,2}: uninterrupted {full.StepLosses[i]:R}  split {split[i]:R}");
        // Bit equality, not a tolerance: the same ops run on the same values in the same order.
        Assert.Equal(full.StepLosses.Select(BitConverter.DoubleToInt64Bits), split.Select(BitConverter.DoubleToInt64Bits));
        foreach (var (name, values) in fullWeights)
            Assert.True(values.AsSpan().SequenceEqual(resumedWeights[name]), $"{name} differs at the end");
        Assert.Equal(full.BestMetric, secondHalf.BestMetric);
        Assert.Equal(full.BestStep, secondHalf.BestStep);

        // The resumed call's result lists every evaluation of the run (step 4 restored from checkpoint-6),
        // with the uninterrupted run's values; the train loss of step 8's covers updates 5-8 across the resume.
        static string Describe(EvaluationOutcome e) => $"{e.Step} {e.Epoch:R} {BitConverter.DoubleToInt64Bits(e.TrainLoss)} {e.IsBest} " +
            string.Join(",", e.Scores.Metrics().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={BitConverter.DoubleToInt64Bits(kv.Value)}"));
        Assert.Equal(new long[] { 4, 8, 12 }, full.Evaluations.Select(e => e.Step));
        Assert.Null(secondHalf.EvaluationsMissingUpToStep);
        Assert.Equal(full.Evaluations.Select(Describe), secondHalf.Evaluations.Select(Describe));
        Assert.Equal(full.StepLosses.Skip(4).Take(4).Average(), secondHalf.Evaluations[1].TrainLoss);

        // The loss curve really changes over the run (a model that learned nothing would make equality trivial).
        Assert.True(full.StepLosses.Distinct().Count() == 12, "losses repeat: dropout or data order is not varying");

        // metrics.jsonl of the split run equals the uninterrupted one in its steps and losses.
        var fullLog = MetricsLog.Read(Path.Combine(folder.File("full"), "metrics.jsonl"));
        var splitLog = MetricsLog.Read(Path.Combine(folder.File("split"), "metrics.jsonl"));
        Assert.Equal(fullLog.Select(r => (r.Step, r.Get("loss"), r.Get("eval_loss"))), splitLog.Select(r => (r.Step, r.Get("loss"), r.Get("eval_loss"))));
    }

    [Fact]
    public void RestoringTheRngStateIsWhatMakesResumeExact()
    {
        // The negative control: the same resume with a different generator state in trainer_state.json
        // gives other dropout masks, so other losses. Without this the test above could pass by accident.
        using var folder = TestPaths.NewTempFolder();
        var options = TrainingRig.ResumeOptions;
        TrainingResult full;
        using (var rig = new TrainingRig(options))
            full = rig.Loop.Train();
        using (var rig = new TrainingRig(options, RunFolder.At(folder.Path), stopAtStep: 6))
            rig.Loop.Train();
        var checkpoint = Path.Combine(folder.Path, "checkpoints", "checkpoint-6");
        var statePath = Path.Combine(checkpoint, TrainerState.FileName);
        var state = JsonNode.Parse(File.ReadAllText(statePath))!;
        manual_seed(4321);
        using (var other = random.get_rng_state())
            state["torch_rng_state"] = Convert.ToBase64String(other.data<byte>().ToArray());
        File.WriteAllText(statePath, state.ToJsonString());

        using var resumed = new TrainingRig(options, initSeed: 999);
        resumed.Loop.ResumeFrom(checkpoint);
        var rest = resumed.Loop.Train();
        Assert.NotEqual(full.StepLosses.Skip(6).ToList(), rest.StepLosses.ToList());
    }

    [Fact]
    public void A_checkpoint_without_the_evaluation_record_still_resumes_and_the_result_says_which_evaluations_are_missing()
    {
        using var folder = TestPaths.NewTempFolder();
        var options = TrainingRig.ResumeOptions;
        using (var rig = new TrainingRig(options, RunFolder.At(folder.Path), stopAtStep: 6))
            rig.Loop.Train();
        // trainer_state.json as written before checkpoints kept the evaluations.
        var statePath = Path.Combine(folder.Path, "checkpoints", "checkpoint-6", TrainerState.FileName);
        var state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        foreach (var key in new[] { "evaluations", "train_loss_sum", "train_loss_count" }) Assert.True(state.Remove(key), key);
        File.WriteAllText(statePath, state.ToJsonString());

        TrainingResult second;
        using (var rig = new TrainingRig(options, RunFolder.At(folder.Path), stopAtStep: 9))
        {
            rig.Loop.ResumeFrom(Path.GetDirectoryName(statePath)!);
            second = rig.Loop.Train();
        }
        Assert.Equal(6, second.EvaluationsMissingUpToStep);
        Assert.Equal(new long[] { 8 }, second.Evaluations.Select(e => e.Step));
        // A later resume (from checkpoint-9, written with the record) still knows the evaluations up to step 6 are missing.
        using var third = new TrainingRig(options, RunFolder.At(folder.Path));
        third.Loop.ResumeFrom(Path.Combine(folder.Path, "checkpoints", "checkpoint-9"));
        var last = third.Loop.Train();
        Assert.Equal(6, last.EvaluationsMissingUpToStep);
        Assert.Equal(new long[] { 8, 12 }, last.Evaluations.Select(e => e.Step));
    }

    [Fact]
    public void ResumingWithAnotherScheduleIsRefused()
    {
        using var folder = TestPaths.NewTempFolder();
        var options = TrainingRig.ResumeOptions;
        using (var rig = new TrainingRig(options, RunFolder.At(folder.Path), stopAtStep: 3, withEvaluation: false))
            rig.Loop.Train();
        using var other = new TrainingRig(options with { MaxSteps = 20 }, withEvaluation: false);
        var e = Assert.Throws<Acclimate.Errors.ConfigException>(() => other.Loop.ResumeFrom(Path.Combine(folder.Path, "checkpoints", "checkpoint-3")));
        Assert.Contains("12 steps", e.Message);
        Assert.Contains("20 steps", e.Message);
    }

    private static Dictionary<string, float[]> Weights(TrainingRig rig) =>
        rig.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
}
