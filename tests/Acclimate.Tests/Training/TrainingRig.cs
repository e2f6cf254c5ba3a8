using Acclimate.Models;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Tests.Training;

/// <summary>
/// Everything one training run needs, built fresh from a seed: a tiny BERT MLM (dropout on), its
/// AdamW, a shuffled batch source over fixed sequences with position-seeded masking, and the loop.
/// Building two rigs with the same arguments gives two independent but identical runs.
/// </summary>
internal sealed class TrainingRig : IDisposable
{
    public const int DataSeed = 17;

    public TrainingRig(TrainingOptions options, RunFolder? run = null, long? stopAtStep = null, long initSeed = 5,
        bool withEvaluation = true, ITrainingProgress? progress = null, int examples = 36)
    {
        Options = options;
        Model = TinyModels.MaskedLm(initSeed);
        Optimizer = AdamWOptimizer.Create(Model, AdamWSettings.From(options));
        var sequences = TinyModels.Sequences(examples, DataSeed);
        Data = new ShuffledBatchSource<int[], ModelInputs>(sequences, options.BatchSize, options.Seed,
            (rows, index) => TinyModels.MlmBatch(rows, index, options.Seed));
        var evalBatch = TinyModels.Sequences(8, DataSeed + 1);
        Loop = new TrainingLoop<ModelInputs>(options, new HfTrainableModel(Model), Optimizer, Data, batch => Model.Forward(batch).Loss!)
        {
            CountTokens = batch => batch.InputIds.numel(),
            Evaluate = withEvaluation ? () => new MetricValues(new Dictionary<string, double> { ["loss"] = Model.Forward(TinyModels.MlmBatch(evalBatch, 0, 999)).Loss!.item<float>() }) : null,
            Run = run,
            StopAtStep = stopAtStep,
            Progress = progress ?? SilentProgress.Instance,
        };
    }

    public TrainingOptions Options { get; }
    public TransformerModel Model { get; }
    public AdamWOptimizer Optimizer { get; }
    public ShuffledBatchSource<int[], ModelInputs> Data { get; }
    public TrainingLoop<ModelInputs> Loop { get; }

    /// <summary>The options of the resume test: 12 updates of 2 micro-batches of 4, linear warmup, dropout on.</summary>
    public static TrainingOptions ResumeOptions => new()
    {
        LearningRate = 2e-3,
        WeightDecay = 0.01,
        WarmupSteps = 2,
        Schedule = ScheduleKind.Linear,
        MaxSteps = 12,
        BatchSize = 4,
        GradAccumulation = 2,
        ClipNorm = 1.0,
        Seed = 1234,
        EvalEvery = 4,
        SaveEvery = 3,
        LogEvery = 2,
        KeepLast = 3,
        Threads = 1,
    };

    public void Dispose()
    {
        Optimizer.Dispose();
        Model.Dispose();
    }
}
