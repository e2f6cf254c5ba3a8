using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Training;

[Collection(TorchGlobalStateCollection.Name)]
public sealed class TrainingLoopTests
{
    public TrainingLoopTests() => TorchRuntime.EnsureInitialized();

    private static TrainingOptions Small => new()
    {
        LearningRate = 1e-3, MaxSteps = 6, BatchSize = 4, GradAccumulation = 1, Seed = 3,
        SaveEvery = 0, LogEvery = 1, KeepLast = 0, Threads = 1,
    };

    [Fact]
    public void AccumulatingTwoHalfBatchesEqualsOneFullBatch()
    {
        // Without dropout and with masking that depends only on the column, a micro-batch of 2 rows
        // accumulated twice sees exactly the gradient of the 4-row batch (every row has as many
        // masked tokens, so the mean of the two means is the mean over all rows).
        var config = EncoderConfig.Create(ModelType.Bert, TinyModels.Vocab, 32, 2, 4, 48, maxPositions: 32,
            extra: o => { o["hidden_dropout_prob"] = 0.0; o["attention_probs_dropout_prob"] = 0.0; });
        var sequences = TinyModels.Sequences(16, 4);
        Dictionary<string, float[]> Run(int batchSize, int accumulation)
        {
            manual_seed(8);
            using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
            using var optimizer = AdamWOptimizer.Create(model, new AdamWSettings(1e-3));
            var data = new ShuffledBatchSource<int[], ModelInputs>(sequences, batchSize, seed: 2, (rows, _) => ColumnMasked(rows));
            var options = Small with { BatchSize = batchSize, GradAccumulation = accumulation, MaxSteps = 0, Epochs = 2 };
            var loop = new TrainingLoop<ModelInputs>(options, new HfTrainableModel(model), optimizer, data, b => model.Forward(b).Loss!);
            Assert.Equal(8, loop.TotalSteps);
            loop.Train();
            return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
        }
        var full = Run(4, 1);
        var accumulated = Run(2, 2);
        var maxDifference = full.Max(kv => kv.Value.Zip(accumulated[kv.Key]).Max(p => Math.Abs(p.First - p.Second)));
        Assert.True(maxDifference < 1e-5, $"weights differ by up to {maxDifference}");
        // … and the comparison is not vacuous: training moved the weights.
        using var untrained = ModelFactory.Create(config, ModelTask.MaskedLM);
        manual_seed(8);
        using var initial = ModelFactory.Create(config, ModelTask.MaskedLM);
        var moved = initial.named_parameters().Max(p => p.parameter.data<float>().ToArray().Zip(full[p.name]).Max(x => Math.Abs(x.First - x.Second)));
        Assert.True(moved > 1e-3, $"training barely moved the weights ({moved})");
    }

    [Fact]
    public void EpochRunsEndWithAShortUpdateOnTheRemainder()
    {
        // 36 examples / 4 = 9 micro-batches; accumulation 2 → 5 updates per epoch, the last on one micro-batch.
        var options = Small with { MaxSteps = 0, Epochs = 2, GradAccumulation = 2, Threads = 1 };
        var progress = new RecordingProgress();
        using var rig = new TrainingRig(options, withEvaluation: false, progress: progress);
        Assert.Equal(10, rig.Loop.TotalSteps);
        var result = rig.Loop.Train();
        Assert.Equal(10, result.GlobalStep);
        // The fractional epoch counts micro-batches: 2/9, 4/9, 6/9, 8/9, 9/9, then 1 + 2/9 …
        var ninths = new[] { 2, 4, 6, 8, 9, 11, 13, 15, 17, 18 };
        Assert.Equal(ninths.Select(n => Math.Round(n / 9.0, 6)), progress.LogRecords.Select(r => Math.Round(r.Epoch, 6)));
    }

    [Fact]
    public void LearningRatesFollowTheScheduleAndMetricsAreLogged()
    {
        using var folder = TestPaths.NewTempFolder();
        var options = Small with { MaxSteps = 8, WarmupSteps = 2, Schedule = ScheduleKind.Linear, LogEvery = 2, ClipNorm = 1.0 };
        var progress = new RecordingProgress();
        using var rig = new TrainingRig(options, RunFolder.At(folder.Path), withEvaluation: false, progress: progress);
        rig.Loop.Train();

        // Every update used base × multiplier(step before it): 0, 0.5, 1, 5/6, 4/6, 3/6, 2/6, 1/6.
        var expected = new[] { 0.0, 0.5, 1.0, 5 / 6.0, 4 / 6.0, 3 / 6.0, 2 / 6.0, 1 / 6.0 }.Select(m => 1e-3 * m).ToArray();
        Assert.Equal(expected.Length, progress.StepRates.Count);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], progress.StepRates[i], 15);

        var records = MetricsLog.Read(Path.Combine(folder.Path, "metrics.jsonl"));
        Assert.Equal(new long[] { 2, 4, 6, 8 }, records.Select(r => r.Step));
        foreach (var r in records)
        {
            Assert.Equal(expected[r.Step - 1], r.Get("lr")!.Value, 15);   // the rate of the record's last update
            Assert.Equal((progress.StepLosses[(int)r.Step - 2] + progress.StepLosses[(int)r.Step - 1]) / 2, r.Get("loss")!.Value, 12);
            Assert.True(r.Get("grad_norm") > 0);
            Assert.True(r.Get("tokens_per_second") > 0);
            Assert.True(r.Get("steps_per_second") > 0);
        }
        Assert.Single(Directory.GetFiles(Path.Combine(folder.Path, "events"), "events.out.tfevents.*"));
        var png = Path.Combine(folder.Path, "plots", "loss.png");
        Assert.True(File.Exists(png));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, File.ReadAllBytes(png).Take(8));
    }

    [Fact]
    public void EarlyStoppingEndsAfterPatienceRunsOutAndKeepsTheBestModel()
    {
        using var folder = TestPaths.NewTempFolder();
        var options = Small with { MaxSteps = 20, EvalEvery = 1, EarlyStoppingPatience = 2, MetricForBest = "eval_f1", GreaterIsBetter = true, SaveEvery = 100 };
        var scores = new Queue<double>(new[] { 0.2, 0.5, 0.4, 0.6, 0.55, 0.58, 0.9 });
        var progress = new RecordingProgress();
        using var rig = new TrainingRig(options, RunFolder.At(folder.Path), withEvaluation: false, progress: progress);
        float[]? weightsAtBest = null;
        progress.OnEvaluated = (record, isBest) => { if (isBest) weightsAtBest = WordEmbeddings(rig.Model); };
        var loop = new TrainingLoop<ModelInputs>(options, new HfTrainableModel(rig.Model), rig.Optimizer, rig.Data, b => rig.Model.Forward(b).Loss!)
        {
            Evaluate = () => new MetricValues(new Dictionary<string, double> { ["f1"] = scores.Dequeue(), ["loss"] = 1.0 }),
            Run = RunFolder.At(folder.Path),
            Progress = progress,
        };
        var result = loop.Train();

        // Best 0.6 at step 4; 0.55 and 0.58 do not improve on it; patience 2 stops after step 6.
        Assert.True(result.StoppedEarly);
        Assert.Equal(6, result.GlobalStep);
        Assert.Equal(0.6, result.BestMetric);
        Assert.Equal(4, result.BestStep);
        Assert.Equal(new[] { true, true, false, true, false, false }, progress.EvaluatedBest);
        Assert.NotNull(result.LastCheckpoint);
        Assert.EndsWith("checkpoint-6", result.LastCheckpoint);

        // best-model/ is a loadable HF folder holding the weights of step 4.
        var (best, report) = PretrainedModel.Load(Path.Combine(folder.Path, "best-model"));
        using var _ = best;
        Assert.True(report.IsExactMatch, report.Describe());
        Assert.Equal(weightsAtBest, WordEmbeddings(best));
        Assert.NotEqual(weightsAtBest, WordEmbeddings(rig.Model));
        Assert.True(File.Exists(Path.Combine(folder.Path, "plots", "eval_f1.png")));
    }

    [Fact]
    public void EachEvaluationReachesItsHandlerWithTheScoresObjectAndTheTrainingLossSinceThePreviousOne()
    {
        var options = Small with { MaxSteps = 7, EvalEvery = 3, MetricForBest = "eval_f1", GreaterIsBetter = true, SaveEvery = 100 };
        using var rig = new TrainingRig(options, run: null, withEvaluation: false);
        var returned = new List<IEvaluationScores>();
        var f1 = new Queue<double>(new[] { 0.5, 0.4, 0.7 });
        var outcomes = new List<EvaluationOutcome>();
        var loop = new TrainingLoop<ModelInputs>(options, new HfTrainableModel(rig.Model), rig.Optimizer, rig.Data, b => rig.Model.Forward(b).Loss!)
        {
            Evaluate = () =>
            {
                var scores = new MetricValues(new Dictionary<string, double> { ["f1"] = f1.Dequeue() });
                returned.Add(scores);
                return scores;
            },
            Evaluated = outcomes.Add,
        };
        var result = loop.Train();

        // Evaluations after steps 3 and 6 (eval_every) and 7 (the end); each outcome carries the very
        // object its evaluation returned, and the mean loss of the updates since the previous one.
        Assert.Equal(new long[] { 3, 6, 7 }, outcomes.Select(o => o.Step));
        Assert.Equal(returned, outcomes.Select(o => o.Scores));
        Assert.Equal(new[] { true, false, true }, outcomes.Select(o => o.IsBest));
        var losses = result.StepLosses;
        Assert.Equal(losses.Take(3).Average(), outcomes[0].TrainLoss, 12);
        Assert.Equal(losses.Skip(3).Take(3).Average(), outcomes[1].TrainLoss, 12);
        Assert.Equal(losses[6], outcomes[2].TrainLoss, 12);
    }

    [Fact]
    public void OnlyTheLastKCheckpointsAreKeptAndEachIsComplete()
    {
        using var folder = TestPaths.NewTempFolder();
        var options = Small with { MaxSteps = 10, SaveEvery = 2, KeepLast = 2 };
        using var rig = new TrainingRig(options, RunFolder.At(folder.Path), withEvaluation: false);
        rig.Loop.Train();
        var checkpoints = Path.Combine(folder.Path, "checkpoints");
        Assert.Equal(new[] { "checkpoint-10", "checkpoint-8" }, Directory.GetDirectories(checkpoints).Select(Path.GetFileName).OrderBy(n => n));
        foreach (var checkpoint in Directory.GetDirectories(checkpoints))
        {
            foreach (var file in new[] { "config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json" })
                Assert.True(File.Exists(Path.Combine(checkpoint, file)), $"{checkpoint} lacks {file}");
            var state = TrainerState.Load(Path.Combine(checkpoint, "trainer_state.json"));
            Assert.Equal(CheckpointStore.StepOf(checkpoint), state.GlobalStep);
            Assert.Equal(5056, Convert.FromBase64String(state.TorchRngState).Length);
        }
    }

    [Fact]
    public void AMissingBestMetricIsAConfigError()
    {
        var options = Small with { MaxSteps = 2, EvalEvery = 1, MetricForBest = "accuracy" };
        using var rig = new TrainingRig(options);
        var e = Assert.Throws<ConfigException>(() => rig.Loop.Train());
        Assert.Contains("accuracy", e.Message);
        Assert.Contains("eval_loss", e.Message);
    }

    [Fact]
    public void ANonScalarLossIsRejected()
    {
        using var rig = new TrainingRig(Small, withEvaluation: false);
        var loop = new TrainingLoop<ModelInputs>(Small, new HfTrainableModel(rig.Model), rig.Optimizer, rig.Data, b => rig.Model.Forward(b).Logits);
        var e = Assert.Throws<AcclimateException>(() => loop.Train());
        Assert.Contains("expected a scalar loss", e.Message);
    }

    [Fact]
    public void InvalidOptionsAreRejectedNamingTheKeys()
    {
        using var rig = new TrainingRig(Small, withEvaluation: false);
        var bad = Small with { LearningRate = -1, GradAccumulation = 0 };
        var e = Assert.Throws<ConfigException>(() => new TrainingLoop<ModelInputs>(bad, new HfTrainableModel(rig.Model), rig.Optimizer, rig.Data, b => rig.Model.Forward(b).Loss!));
        Assert.Contains("learning_rate", e.Message);
        Assert.Contains("grad_accumulation", e.Message);
    }

    [Fact]
    public void StepsDoNotLeakTensors()
    {
        // Live tensor wrappers on this thread (in and outside dispose scopes), sampled after each update.
        // Logging every update makes the loop read each update's loss right after it, so every
        // sample sees the same number of pending loss tensors (one).
        var options = Small with { MaxSteps = 12, GradAccumulation = 2, ClipNorm = 1.0, LogEvery = 1 };
        var progress = new RecordingProgress();
        using var rig = new TrainingRig(options, withEvaluation: true, progress: progress);
        rig.Loop.Train();
        var live = progress.LiveTensors;
        Assert.Equal(12, live.Count);
        Assert.True(live.Skip(2).Distinct().Count() == 1, "live tensors grow per step: " + string.Join(", ", live));
    }

    private static ModelInputs ColumnMasked(IReadOnlyList<int[]> rows)
    {
        var ids = new long[rows.Count * TinyModels.Length];
        var labels = new long[ids.Length];
        for (var r = 0; r < rows.Count; r++)
            for (var c = 0; c < TinyModels.Length; c++)
            {
                var masked = c % 3 == 0;
                ids[r * TinyModels.Length + c] = masked ? 4 : rows[r][c];
                labels[r * TinyModels.Length + c] = masked ? rows[r][c] : -100;
            }
        return new ModelInputs(tensor(ids).reshape(rows.Count, TinyModels.Length)) { Labels = tensor(labels).reshape(rows.Count, TinyModels.Length) };
    }

    private static float[] WordEmbeddings(TransformerModel model) =>
        model.named_parameters().First(p => p.name.EndsWith("word_embeddings.weight", StringComparison.Ordinal)).parameter.data<float>().ToArray();

    private sealed class RecordingProgress : ITrainingProgress
    {
        public List<double> StepLosses { get; } = new();
        public List<double> StepRates { get; } = new();
        public List<MetricsRecord> LogRecords { get; } = new();
        public List<bool> EvaluatedBest { get; } = new();
        public List<long> LiveTensors { get; } = new();
        public Action<MetricsRecord, bool>? OnEvaluated { get; set; }

        public void Started(TrainingPlan plan) { }

        public void Stepped(long step, double loss, double learningRate)
        {
            StepLosses.Add(loss);
            StepRates.Add(learningRate);
            var stats = DisposeScopeManager.Statistics.TensorStatistics;
            // Created minus disposed, in and outside scopes: moving a tensor out of a scope (the loop
            // keeps each update's loss that way until it reads it) changes neither.
            LiveTensors.Add(stats.CreatedInScopeCount - stats.DisposedInScopeCount + stats.CreatedOutsideScopeCount - stats.DisposedOutsideScopeCount);
        }

        public void Logged(MetricsRecord record) => LogRecords.Add(record);

        public void Evaluated(MetricsRecord record, bool isBest)
        {
            EvaluatedBest.Add(isBest);
            OnEvaluated?.Invoke(record, isBest);
        }

        public void CheckpointSaved(long step, string folder) { }
        public void Finished(TrainingResult result) { }
    }
}
