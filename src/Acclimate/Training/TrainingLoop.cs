using Acclimate.Runtime;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.Reporting;
using static TorchSharp.torch;
using Acclimate.IO;
using Acclimate.Runtime.Mpi;

namespace Acclimate.Training;

/// <summary>
/// The one training loop every objective runs on. The caller supplies the model, an
/// <see cref="AdamWOptimizer"/>, a batch source and a step function <c>batch → loss</c> (MLM,
/// ELECTRA, token classification… all plug in there); the loop does the rest: gradient
/// accumulation, clipping, the optimizer and schedule step, seeding, periodic evaluation, early
/// stopping and best-model keeping, metrics (metrics.jsonl, TensorBoard, plots), progress, and
/// checkpoints that <see cref="ResumeFrom"/> continues from exactly.
/// </summary>
/// <remarks>
/// One update, top to bottom: set each group's rate to base × schedule(step); drop the gradients;
/// for each of up to <c>grad_accumulation</c> micro-batches (fewer at the end of an epoch), compute
/// the loss, back-propagate loss / (micro-batches in this update), each micro-batch in its own
/// dispose scope; clip the global gradient norm; AdamW step. The whole update runs inside one
/// <c>torch.NewDisposeScope()</c>, so batch tensors and activations are freed every step.
/// After the update come, in this order: the log record, evaluation (in eval mode, under
/// <c>no_grad</c>), and the checkpoint — so a checkpoint captures the RNG after everything its step did.
/// <para>
/// Data-parallel (when the process runs under <c>mpirun</c>, i.e. <see cref="MpiWorld.Current"/> is
/// set): every rank draws the same micro-batches of the update (batch order stays a pure function of
/// the step) and runs only those whose index i in the update has i mod ranks = its rank; dropout and
/// other torch randomness of micro-batch i is seeded from (seed, step, i), so the result does not
/// depend on which rank ran it. <see cref="GradientSynchronization"/> then sums the gradients over
/// the ranks before clipping and AdamW, and the update's loss and tokens are summed too. Rank 0
/// alone writes metrics, evaluates, keeps the best model and writes checkpoints; the others receive
/// the evaluation's outcome by broadcast and wait at a barrier while rank 0 saves. The global batch
/// is <c>batch_size × grad_accumulation</c> whatever the number of ranks, so a run may resume with a
/// different rank count and continue the same update sequence.
/// </para>
/// </remarks>
public sealed class TrainingLoop<TBatch>
{
    private readonly TrainingOptions _options;
    private readonly ITrainableModel _model;
    private readonly AdamWOptimizer _optimizer;
    private readonly IBatchSource<TBatch> _data;
    private readonly Func<TBatch, Tensor> _computeLoss;
    private TrainerState? _resumeState;
    private bool _started;
    // Data-parallel: the MPI world this process belongs to (null when not launched by mpirun).
    private readonly MpiWorld? _world = MpiWorld.Current;
    private GradientSynchronization? _sync;
    private TimeSpan _syncWindow;
    private bool IsRoot => _world is null || _world.IsRoot;

    // Run state: what trainer_state.json holds.
    private long _globalStep;
    private int _epoch;
    private long _batchesInEpoch;
    private long _tokensSeen;
    private double? _bestMetric;
    private long? _bestStep;
    private int _evaluationsWithoutImprovement;
    // Every evaluation of the run so far (those before a resume restored from the checkpoint), as
    // reported and as stored; and the update losses since the last one, for its mean train loss.
    private readonly List<(EvaluationOutcome Outcome, TrainerState.EvaluationEntry Entry)> _evaluations = new();
    private long? _evaluationsMissingUpToStep;
    private double _trainLossSum;
    private long _trainLossCount;

    /// <param name="options">Validated here; the schedule and the number of updates are fixed from them.</param>
    /// <param name="model">The model (and how to checkpoint it).</param>
    /// <param name="optimizer">AdamW over the model's parameters (see <see cref="AdamWOptimizer.Create(TorchSharp.torch.nn.Module, AdamWSettings, Func{string, ParameterGroupChoice}?, Func{string, bool}?)"/>).</param>
    /// <param name="data">Micro-batches, epoch by epoch.</param>
    /// <param name="computeLoss">Runs the model on one micro-batch and returns the scalar loss (mean over the batch).</param>
    public TrainingLoop(TrainingOptions options, ITrainableModel model, AdamWOptimizer optimizer, IBatchSource<TBatch> data, Func<TBatch, Tensor> computeLoss)
    {
        _options = (options ?? throw new ArgumentNullException(nameof(options))).EnsureValid("training options");
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _computeLoss = computeLoss ?? throw new ArgumentNullException(nameof(computeLoss));
        TotalSteps = ComputeTotalSteps(options, data.BatchesPerEpoch);
        Schedule = LearningRateSchedule.For(options, TotalSteps);
    }

    /// <summary>Tokens in a micro-batch, for tokens/s (optional).</summary>
    public Func<TBatch, long>? CountTokens { get; init; }

    /// <summary>
    /// Evaluation: returns scores whose metrics (<c>loss</c>, <c>f1</c>…) are logged as <c>eval_loss</c>….
    /// Called with the model in eval mode, under <c>no_grad</c> and a dispose scope, every
    /// <c>eval_every</c> updates and at the end.
    /// </summary>
    public Func<IEvaluationScores>? Evaluate { get; init; }

    /// <summary>
    /// After each evaluation has been logged and the best model (if improved) saved: the scores
    /// <see cref="Evaluate"/> returned, with the step, whether they are the best so far and the mean
    /// training loss since the previous evaluation.
    /// </summary>
    public Action<EvaluationOutcome>? Evaluated { get; init; }

    /// <summary>Where the step function adds its loss parts; their window means go into each metrics record.</summary>
    public LossPartsLog? LossParts { get; init; }

    /// <summary>Where progress goes (default: nowhere).</summary>
    public ITrainingProgress Progress { get; init; } = SilentProgress.Instance;

    /// <summary>Run folder for metrics, events, plots, checkpoints and the best model; without one nothing is written.</summary>
    public RunFolder? Run { get; init; }

    /// <summary>Extra state the objective keeps outside the batch source (e.g. its own RNG), saved into trainer_state.json.</summary>
    public Func<JsonNode?>? SaveExtraState { get; init; }

    /// <summary>Restores what <see cref="SaveExtraState"/> saved, when resuming.</summary>
    public Action<JsonNode?>? RestoreExtraState { get; init; }

    /// <summary>
    /// Turns an evaluation's scores into JSON kept in every later checkpoint's trainer_state.json, so
    /// that a resumed run's <see cref="TrainingResult.Evaluations"/> carries the earlier evaluations'
    /// full scores (a tagger's per-type table, say). Without it only their metric values are kept.
    /// </summary>
    public Func<IEvaluationScores, JsonNode?>? SaveScores { get; init; }

    /// <summary>Rebuilds scores from what <see cref="SaveScores"/> made of them, when resuming.</summary>
    public Func<JsonNode, IEvaluationScores>? RestoreScores { get; init; }

    /// <summary>Render plots/loss.png (and the best metric's curve) at the end (default true; needs <see cref="Run"/>).</summary>
    public bool WritePlots { get; init; } = true;

    /// <summary>
    /// Also save a checkpoint after every evaluation, besides every <c>save_every</c> updates. Fine-tuning
    /// evaluates once an epoch and is often shorter than <c>save_every</c>; without this a killed
    /// fine-tuning run (a sweep cell, say) had nothing to resume from and started over.
    /// </summary>
    public bool CheckpointAfterEvaluation { get; init; }

    /// <summary>
    /// Ends <see cref="Train"/> right after this update's regular log, evaluation and checkpoint, as
    /// if the process were killed there: no extra evaluation, checkpoint or plot. For time-boxed
    /// sessions that resume later, and for testing resume.
    /// </summary>
    public long? StopAtStep { get; init; }

    /// <summary>
    /// Ends the run early, like data running out (with the final evaluation, checkpoint and plots),
    /// when it returns true; called after every update with the update time spent so far in this
    /// call (evaluation and checkpoint time excluded). For equal-compute comparisons: give both
    /// runs the same budget and a schedule that does not depend on where it stops.
    /// </summary>
    public Func<TimeSpan, bool>? StopWhen { get; init; }

    /// <summary>
    /// Replaces the plain <c>(loss · scale).backward()</c> of each micro-batch (scale = 1 / micro-batches
    /// in the update), for objectives that add gradient from further passes over the same batch
    /// (adversarial training). It must back-propagate <c>loss · scale</c> itself. Runs inside the
    /// micro-batch's dispose scope and in the run's precision.
    /// </summary>
    public Action<TBatch, Tensor, double>? Backward { get; init; }

    /// <summary>
    /// Data-parallel runs only: called before each micro-batch's step with the seed the loop gave
    /// torch's global generator for it, so an objective with a generator of its own (ELECTRA's
    /// sampler) can seed that too and draw the same whichever rank runs the micro-batch.
    /// </summary>
    public Action<long>? SeedMicroBatch { get; init; }

    /// <summary>Optimizer updates the run makes in total.</summary>
    public long TotalSteps { get; }

    /// <summary>Optimizer updates done so far (during a step function: the updates before this one), e.g. for schedules inside an objective.</summary>
    public long GlobalStep => _globalStep;

    /// <summary>The learning-rate schedule over <see cref="TotalSteps"/>.</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>
    /// Restores model weights, optimizer state, data position, RNG and bookkeeping from a checkpoint
    /// folder written by this loop, so <see cref="Train"/> continues as if never interrupted. The
    /// options must describe the same schedule (same total and warmup steps) and accumulation.
    /// </summary>
    public void ResumeFrom(string checkpointFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointFolder);
        if (_started) throw new InvalidOperationException("ResumeFrom must be called before Train.");
        if (!Directory.Exists(checkpointFolder)) throw new CheckpointException($"{checkpointFolder}: checkpoint folder not found.");
        var state = TrainerState.Load(Path.Combine(checkpointFolder, TrainerState.FileName));
        var expected = TrainerState.ScheduleSnapshot.Of(Schedule);
        if (state.Schedule != expected)
            throw new ConfigException($"{checkpointFolder}: the checkpoint was on a {state.Schedule.Kind} schedule of {state.Schedule.TotalSteps} steps with {state.Schedule.WarmupSteps} warmup (min_lr_ratio {state.Schedule.MinLrRatio}), " +
                $"but these options give {expected.Kind}, {expected.TotalSteps} steps, {expected.WarmupSteps} warmup (min_lr_ratio {expected.MinLrRatio}); resume with the recipe the run was started with.");
        if (state.GradAccumulation != _options.GradAccumulation)
            throw new ConfigException($"{checkpointFolder}: the checkpoint used grad_accumulation {state.GradAccumulation}, these options {_options.GradAccumulation}.");
        if (state.DataPosition is null) throw new CheckpointException($"{checkpointFolder}: trainer state has no data position.");
        _model.Load(checkpointFolder);
        _optimizer.LoadState(Path.Combine(checkpointFolder, AdamWOptimizer.StateFileName));
        RestoreEvaluations(state, checkpointFolder);
        _resumeState = state;
    }

    /// <summary>Trains until <see cref="TotalSteps"/> updates are done or early stopping ends the run. Call once.</summary>
    public TrainingResult Train()
    {
        if (_started) throw new InvalidOperationException("Train can be called once per TrainingLoop; build a new loop (and ResumeFrom a checkpoint) to continue.");
        _started = true;
        var total = Stopwatch.StartNew();
        var threads = TrainingEnvironment.ThreadsFor(_options.Threads);
        TorchRuntime.SetThreads(threads);

        // Under mpirun only rank 0 writes the run's metrics, events and checkpoints.
        var metrics = Run is null || !IsRoot ? null : new MetricsLog(Run.MetricsFile);
        var events = Run is null || !IsRoot ? null : new TensorBoardLog(Run.EventsFolder);
        var checkpoints = Run is null || !IsRoot ? null : new CheckpointStore(Run.CheckpointsFolder, _options.KeepLast);
        StartOrRestore(metrics);
        var startStep = _globalStep;
        if (_world is not null)
        {
            if (_options.GradAccumulation < _world.Size)
                throw new ConfigException($"data-parallel training on {_world.Size} ranks needs training.grad_accumulation >= {_world.Size} (got {_options.GradAccumulation}): " +
                    $"an update's global batch is batch_size × grad_accumulation micro-batches, shared out among the ranks (e.g. grad_accumulation: {_world.Size} for one micro-batch of batch_size per rank).");
            _sync = new GradientSynchronization(_world, _optimizer.Parameters);
            _sync.VerifySameWeights(startStep == 0 ? "at the start" : $"after resuming at step {startStep}");
        }
        Progress.Started(new TrainingPlan(TotalSteps, startStep, _options.MaxSteps > 0 ? null : _options.Epochs,
            _data.BatchesPerEpoch, _options.GradAccumulation, Schedule, threads));

        _model.Module.train();
        var losses = new List<double>();
        var window = new LogWindow();
        // Updates whose loss and gradient norm are still device tensors: read in one transfer when
        // something reports them (a log record, an evaluation, a checkpoint, the end), so a step
        // never waits for the device.
        var pending = new List<(long Step, StepOutcome Outcome, TimeSpan Elapsed)>();
        // The mean loss of the updates since the previous evaluation, those before a resume included.
        double TrainLossSinceEvaluation()
        {
            var mean = _trainLossCount > 0 ? _trainLossSum / _trainLossCount : double.NaN;
            (_trainLossSum, _trainLossCount) = (0, 0);
            return mean;
        }
        void Flush()
        {
            if (pending.Count == 0) return;
            var values = ReadLosses(pending.Select(p => p.Outcome).ToList(), out var gradNorm);
            for (var i = 0; i < pending.Count; i++)
            {
                var (step, outcome, elapsed) = pending[i];
                losses.Add(values[i]);
                _trainLossSum += values[i];
                _trainLossCount++;
                window.Add(values[i], outcome.LearningRate, i == pending.Count - 1 ? gradNorm : double.NaN, outcome.Tokens, elapsed);
                Progress.Stepped(step, values[i], outcome.LearningRate);
                outcome.Dispose();
            }
            pending.Clear();
        }
        var trainingTime = TimeSpan.Zero;
        string? lastCheckpoint = null;
        long lastSaved = -1, lastEvaluated = -1;
        var stoppedEarly = false;
        var interrupted = false;

        while (_globalStep < TotalSteps)
        {
            var clock = Stopwatch.StartNew();
            StepOutcome? outcome;
            using (var scope = NewDisposeScope())
            {
                outcome = TrainOneUpdate();
            }
            if (outcome is null) break;   // the data ran out before TotalSteps (a source that under-reported its size)
            clock.Stop();
            trainingTime += clock.Elapsed;
            _globalStep++;
            pending.Add((_globalStep, outcome, clock.Elapsed));

            // A spent time budget makes this update the last one: logged, evaluated and saved as such.
            var outOfTime = StopWhen?.Invoke(trainingTime) == true;
            if (_world is not null && StopWhen is not null) outOfTime = RootDecides(outOfTime, "the time-budget decision");
            var last = _globalStep == TotalSteps || outOfTime;
            var logNow = _globalStep % _options.LogEvery == 0 || last;
            var evaluateNow = Evaluate is not null && ((_options.EvalEvery > 0 && _globalStep % _options.EvalEvery == 0) || last);
            if (logNow || evaluateNow || _globalStep == StopAtStep || outOfTime) Flush();
            if (logNow)
            {
                var record = window.ToRecord(_globalStep, FractionalEpoch(), CountTokens is not null, WithSyncTime(DrainLossParts()));
                metrics?.Append(record);
                events?.Write(record);
                Progress.Logged(record);
                window = new LogWindow();
            }
            if (evaluateNow)
            {
                stoppedEarly = EvaluateOnRoot(metrics, events, TrainLossSinceEvaluation()) && !last;
                lastEvaluated = _globalStep;
            }
            if (Run is not null && ((_options.SaveEvery > 0 && _globalStep % _options.SaveEvery == 0) || last || stoppedEarly || (evaluateNow && CheckpointAfterEvaluation)))
            {
                if (checkpoints is not null)
                {
                    Flush();   // the checkpoint keeps the losses since the last evaluation
                    lastCheckpoint = SaveCheckpoint(checkpoints);
                    Progress.CheckpointSaved(_globalStep, lastCheckpoint);
                }
                lastSaved = _globalStep;
                _world?.Barrier($"rank 0's checkpoint at step {_globalStep}");
            }
            if (stoppedEarly) break;
            if (_globalStep == StopAtStep) { interrupted = true; break; }
            if (outOfTime) break;
        }
        Flush();
        if (!interrupted)
        {
            // A run cut short by its data still ends with an evaluation and a checkpoint of where it stopped.
            if (Evaluate is not null && lastEvaluated != _globalStep && _globalStep > startStep) EvaluateOnRoot(metrics, events, TrainLossSinceEvaluation());
            if (Run is not null && lastSaved != _globalStep && _globalStep > startStep)
            {
                if (checkpoints is not null)
                {
                    lastCheckpoint = SaveCheckpoint(checkpoints);
                    Progress.CheckpointSaved(_globalStep, lastCheckpoint);
                }
                _world?.Barrier($"rank 0's checkpoint at step {_globalStep}");
            }
            if (Run is not null && WritePlots && metrics is not null) WriteRunPlots(Run, metrics);
        }

        var result = new TrainingResult(_globalStep, startStep, losses, _bestMetric, _bestStep,
            Run is not null && _bestStep is not null ? Run.BestModelFolder : null, lastCheckpoint, stoppedEarly, trainingTime, total.Elapsed)
        {
            Evaluations = _evaluations.Select(e => e.Outcome).ToArray(),
            EvaluationsMissingUpToStep = _evaluationsMissingUpToStep,
        };
        Progress.Finished(result);
        return result;
    }

    private void StartOrRestore(MetricsLog? metrics)
    {
        if (_resumeState is not { } state)
        {
            manual_seed(_options.Seed);
            _globalStep = 0;
            _epoch = 0;
            _batchesInEpoch = 0;
            _data.StartEpoch(0);
            return;
        }
        _globalStep = state.GlobalStep;
        _epoch = state.Epoch;
        _batchesInEpoch = state.BatchesInEpoch;
        _tokensSeen = state.TokensSeen;
        _bestMetric = state.BestMetric;
        _bestStep = state.BestStep;
        _evaluationsWithoutImprovement = state.EvaluationsWithoutImprovement;
        _trainLossSum = state.TrainLossSum;
        _trainLossCount = state.TrainLossCount;
        _data.RestorePosition(state.DataPosition!);
        RestoreExtraState?.Invoke(state.Extra);
        // The RNG is restored last, right before the first update, so nothing the caller did
        // between building objects and calling Train can shift dropout masks.
        using (var rng = tensor(Convert.FromBase64String(state.TorchRngState), ScalarType.Byte))
            random.set_rng_state(rng);
        metrics?.TruncateAfter(_globalStep);
        _resumeState = null;
    }

    /// <summary>One update: its mean loss and gradient norm before clipping as 0-dimensional device tensors it owns.</summary>
    private sealed record StepOutcome(Tensor Loss, double LearningRate, Tensor? GradNorm, long Tokens, int MicroBatches) : IDisposable
    {
        public void Dispose()
        {
            Loss.Dispose();
            GradNorm?.Dispose();
        }
    }

    // The losses of the pending updates and the last one's gradient norm, in one device-to-host copy.
    private static double[] ReadLosses(IReadOnlyList<StepOutcome> outcomes, out double lastGradNorm)
    {
        using var scope = NewDisposeScope();
        var parts = outcomes.Select(o => o.Loss.reshape(1)).ToList();
        var gradNorm = outcomes[^1].GradNorm;
        if (gradNorm is not null) parts.Add(gradNorm.to_type(ScalarType.Float64).reshape(1));
        var values = cat(parts, 0).cpu().data<double>().ToArray();
        lastGradNorm = gradNorm is null ? double.NaN : values[^1];
        return values.Take(outcomes.Count).ToArray();
    }

    private StepOutcome? TrainOneUpdate()
    {
        var micro = new List<TBatch>(_options.GradAccumulation);
        while (micro.Count < _options.GradAccumulation)
        {
            if (_data.TryNext(out var batch))
            {
                micro.Add(batch);
                _batchesInEpoch++;
                continue;
            }
            if (micro.Count > 0) break;   // end of epoch: update on the remainder
            if (_options.MaxSteps == 0 && _epoch + 1 >= _options.Epochs) return null;
            _epoch++;
            _batchesInEpoch = 0;
            _data.StartEpoch(_epoch);
            if (!_data.TryNext(out batch))
                throw new DataException($"the batch source produced no batch at the start of epoch {_epoch}; an epoch must hold at least one batch.");
            micro.Add(batch);
            _batchesInEpoch++;
        }

        var multiplier = Schedule.Multiplier(_globalStep);
        _optimizer.SetLearningRateMultiplier(multiplier);
        _optimizer.ZeroGrad();
        Tensor? lossSum = null;   // summed on the loss's device
        long tokens = 0;
        for (var index = 0; index < micro.Count; index++)
        {
            var batch = micro[index];
            if (_world is not null)
            {
                if (index % _world.Size != _world.Rank) continue;   // another rank's micro-batch
                var seed = MicroBatchSeed(_options.Seed, _globalStep, index);
                manual_seed(seed);
                SeedMicroBatch?.Invoke(seed);
            }
            using var scope = NewDisposeScope();
            Tensor loss;
            using (Autocast.Enter(_options.Precision)) loss = _computeLoss(batch);
            if (loss is null || loss.numel() != 1)
                throw new AcclimateException($"the step function returned {(loss is null ? "null" : $"a tensor of shape [{string.Join(", ", loss.shape)}]")}; expected a scalar loss.");
            var value = loss.detach().to_type(ScalarType.Float64);
            var sum = lossSum is null ? value : lossSum + value;
            lossSum?.Dispose();
            lossSum = sum.DetachFromDisposeScope();
            // Dividing by the micro-batches actually in this update keeps a short final update's
            // gradient the mean of its batches, like a full one.
            if (Backward is null) (micro.Count == 1 ? loss : loss / micro.Count).backward();
            else using (Autocast.Enter(_options.Precision)) Backward(batch, loss, 1.0 / micro.Count);
            if (CountTokens is not null) tokens += CountTokens(batch);
        }
        if (_sync is not null)
        {
            // The gradients of all ranks summed (each micro-batch's loss was scaled by 1 / the update's
            // micro-batches on all ranks, so this is their mean); the loss and tokens summed likewise.
            _sync.SumGradients();
            var totals = new[] { lossSum is null ? 0.0 : lossSum.item<double>(), tokens };
            _sync.SumValues(totals, $"the loss of step {_globalStep + 1}");
            lossSum?.Dispose();
            lossSum = tensor(totals[0], ScalarType.Float64).DetachFromDisposeScope();
            tokens = (long)totals[1];
            _syncWindow += _sync.TakeTime();
        }
        var gradNorm = _options.ClipNorm > 0 ? _optimizer.ClipGradNormOnDevice(_options.ClipNorm).DetachFromDisposeScope() : null;
        _optimizer.Step();
        _tokensSeen += tokens;
        var learningRate = _optimizer.Groups[0].BaseLearningRate * multiplier;
        Tensor meanLoss;
        using (var scope = NewDisposeScope()) meanLoss = (lossSum! / micro.Count).DetachFromDisposeScope();
        lossSum!.Dispose();
        return new StepOutcome(meanLoss, learningRate, gradNorm, tokens, micro.Count);
    }

    // The torch seed of micro-batch `index` of update `step + 1` in a data-parallel run: the same
    // whichever rank runs it (SplitMix64 over the parts).
    internal static long MicroBatchSeed(long seed, long step, int index)
    {
        static ulong Mix(ulong z)
        {
            z = unchecked(z + 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            return z ^ (z >> 31);
        }
        var state = Mix(unchecked((ulong)seed));
        state = Mix(state ^ unchecked((ulong)step));
        state = Mix(state ^ unchecked((ulong)index));
        return (long)(state >> 1);
    }

    // Rank 0's value of a decision, on every rank (a single process: the value itself).
    private bool RootDecides(bool value, string what)
    {
        if (_world is null) return value;
        var flag = new[] { value ? 1.0 : 0.0 };
        _world.Broadcast(flag, 0, what);
        return flag[0] != 0;
    }

    // The loss parts' window means; data-parallel, over the micro-batches of all ranks (when every
    // rank has seen the same parts; otherwise this rank's own, which cannot happen with objectives
    // that add the same parts on every micro-batch).
    private IReadOnlyDictionary<string, double>? DrainLossParts()
    {
        if (LossParts is null) return null;
        if (_world is null) return LossParts.Drain();
        var sums = LossParts.DrainSums();
        var hash = 17;
        foreach (var c in string.Join("\n", sums.Select(s => s.Name))) hash = unchecked(hash * 31 + c);
        var check = new double[] { sums.Count, hash, -sums.Count, -hash };
        _world.AllReduceMax(check, $"the loss parts' names at step {_globalStep}");
        var values = sums.SelectMany(s => new[] { s.Sum, s.Count }).ToArray();
        if (check[0] == sums.Count && -check[2] == sums.Count && check[1] == hash && -check[3] == hash)
            _world.AllReduceSum(values, $"the loss parts at step {_globalStep}");
        var means = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < sums.Count; i++)
            if (values[2 * i + 1] > 0) means[sums[i].Name] = values[2 * i] / values[2 * i + 1];
        return means;
    }

    private IReadOnlyDictionary<string, double>? WithSyncTime(IReadOnlyDictionary<string, double>? parts)
    {
        if (_sync is null) return parts;
        var merged = parts is null ? new Dictionary<string, double>(StringComparer.Ordinal) : new Dictionary<string, double>(parts, StringComparer.Ordinal);
        merged["allreduce_seconds"] = _syncWindow.TotalSeconds;
        _syncWindow = TimeSpan.Zero;
        return merged;
    }

    /// <summary>
    /// <see cref="RunEvaluation"/> on rank 0 (or the single process); the other ranks receive its
    /// outcome (stop, improved, best value, patience count) and keep a best model of their own only
    /// where their run needs one.
    /// </summary>
    private bool EvaluateOnRoot(MetricsLog? metrics, TensorBoardLog? events, double trainLoss)
    {
        if (_world is null) return RunEvaluation(metrics, events, trainLoss);
        var outcome = new double[4];
        if (_world.IsRoot)
        {
            var stop = RunEvaluation(metrics, events, trainLoss);
            outcome = new[] { stop ? 1.0 : 0.0, _bestStep == _globalStep ? 1.0 : 0.0, _bestMetric ?? double.NaN, _evaluationsWithoutImprovement };
        }
        _world.Broadcast(outcome, 0, $"rank 0's evaluation at step {_globalStep}");
        if (!_world.IsRoot)
        {
            if (outcome[1] != 0)
            {
                _bestMetric = outcome[2];
                _bestStep = _globalStep;
                if (Run is not null) AtomicFolder.Write(Run.BestModelFolder, _model.Save);
            }
            _evaluationsWithoutImprovement = (int)outcome[3];
        }
        return outcome[0] != 0;
    }

    /// <summary>Runs the evaluation callback and updates best/early-stopping state; true when patience ran out.</summary>
    private bool RunEvaluation(MetricsLog? metrics, TensorBoardLog? events, double trainLoss)
    {
        IEvaluationScores scores;
        _model.Module.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var precision = Autocast.Enter(_options.Precision);
            scores = Evaluate!();
        }
        finally
        {
            _model.Module.train();
        }
        var prefixed = scores.Metrics().ToDictionary(kv => kv.Key.StartsWith("eval_", StringComparison.Ordinal) ? kv.Key : "eval_" + kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var record = new MetricsRecord(_globalStep, FractionalEpoch(), prefixed);
        metrics?.Append(record);
        events?.Write(record);

        var key = "eval_" + _options.BestMetricKey;
        if (!prefixed.TryGetValue(key, out var value))
            throw new ConfigException($"metric_for_best '{_options.MetricForBest}' is not among the evaluation's metrics ({string.Join(", ", prefixed.Keys)}).");
        var improved = double.IsFinite(value) && (_bestMetric is not double best || (_options.GreaterIsBetter ? value > best : value < best));
        if (improved)
        {
            _bestMetric = value;
            _bestStep = _globalStep;
            _evaluationsWithoutImprovement = 0;
            if (Run is not null) AtomicFolder.Write(Run.BestModelFolder, _model.Save);
        }
        else
        {
            _evaluationsWithoutImprovement++;
        }
        Progress.Evaluated(record, improved);
        var outcome = new EvaluationOutcome(_globalStep, record.Epoch, scores, improved, trainLoss);
        _evaluations.Add((outcome, new TrainerState.EvaluationEntry
        {
            Step = outcome.Step,
            Epoch = outcome.Epoch,
            TrainLoss = trainLoss,
            IsBest = improved,
            Metrics = scores.Metrics().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            Scores = SaveScores?.Invoke(scores),
        }));
        Evaluated?.Invoke(outcome);
        return _options.EarlyStoppingPatience > 0 && _evaluationsWithoutImprovement >= _options.EarlyStoppingPatience;
    }

    private string SaveCheckpoint(CheckpointStore store) =>
        store.Write(_globalStep, folder =>
        {
            _model.Save(folder);
            _optimizer.SaveState(Path.Combine(folder, AdamWOptimizer.StateFileName));
            CurrentState().Save(Path.Combine(folder, TrainerState.FileName));
        });

    private TrainerState CurrentState()
    {
        using var rng = random.get_rng_state();
        return new TrainerState
        {
            GlobalStep = _globalStep,
            Epoch = _epoch,
            BatchesInEpoch = _batchesInEpoch,
            DataPosition = _data.SavePosition(),
            Seed = _options.Seed,
            TorchRngState = Convert.ToBase64String(rng.data<byte>().ToArray()),
            Schedule = TrainerState.ScheduleSnapshot.Of(Schedule),
            GradAccumulation = _options.GradAccumulation,
            BestMetricName = Evaluate is null ? null : "eval_" + _options.BestMetricKey,
            BestMetric = _bestMetric,
            BestStep = _bestStep,
            EvaluationsWithoutImprovement = _evaluationsWithoutImprovement,
            TokensSeen = _tokensSeen,
            Extra = SaveExtraState?.Invoke(),
            Evaluations = _evaluations.Select(e => e.Entry).ToList(),
            EvaluationsMissingUpToStep = _evaluationsMissingUpToStep,
            TrainLossSum = _trainLossSum,
            TrainLossCount = _trainLossCount,
        };
    }

    // The evaluations a checkpoint holds, as they were reported (scores through RestoreScores when
    // they were saved with SaveScores, else as metric values). A checkpoint from before they were
    // kept leaves the evaluations up to its step missing (if it came after the first one), and
    // says so in the result.
    private void RestoreEvaluations(TrainerState state, string checkpointFolder)
    {
        _evaluations.Clear();
        if (state.Evaluations is not { } entries)
        {
            var evaluatedBefore = Evaluate is not null && _options.EvalEvery > 0 && state.GlobalStep >= _options.EvalEvery;
            _evaluationsMissingUpToStep = evaluatedBefore ? state.GlobalStep : null;
            return;
        }
        _evaluationsMissingUpToStep = state.EvaluationsMissingUpToStep;
        foreach (var entry in entries)
        {
            IEvaluationScores scores;
            try { scores = entry.Scores is { } saved && RestoreScores is not null ? RestoreScores(saved) : new MetricValues(entry.Metrics); }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
            {
                throw new CheckpointException($"{Path.Combine(checkpointFolder, TrainerState.FileName)}: the scores of the evaluation at step {entry.Step} cannot be read ({e.Message}).", e);
            }
            _evaluations.Add((new EvaluationOutcome(entry.Step, entry.Epoch, scores, entry.IsBest, entry.TrainLoss), entry));
        }
    }

    private double FractionalEpoch() =>
        _data.BatchesPerEpoch is long n && n > 0 ? _epoch + Math.Min(1.0, (double)_batchesInEpoch / n) : _epoch;

    private void WriteRunPlots(RunFolder run, MetricsLog metrics)
    {
        var records = metrics.ReadAll();
        MetricsPlots.LossCurve(run.Plot("loss.png"), records);
        if (Evaluate is not null && _options.BestMetricKey != "loss")
            MetricsPlots.MetricCurve(run.Plot($"eval_{_options.BestMetricKey}.png"), records, "eval_" + _options.BestMetricKey);
    }

    private static long ComputeTotalSteps(TrainingOptions options, long? batchesPerEpoch)
    {
        if (options.MaxSteps > 0) return options.MaxSteps;
        if (batchesPerEpoch is not long batches)
            throw new ConfigException("the batch source cannot say how many batches an epoch holds (a stream); set training.max_steps.");
        if (batches < 1) throw new DataException("the batch source holds no batches; there is nothing to train on.");
        // An epoch's last update takes the remaining micro-batches, so it has ceil(batches / accumulation) updates.
        var perEpoch = (batches + options.GradAccumulation - 1) / options.GradAccumulation;
        return perEpoch * options.Epochs;
    }

    /// <summary>Accumulates updates between two log records.</summary>
    private sealed class LogWindow
    {
        private double _lossSum;
        private int _steps;
        private long _tokens;
        private TimeSpan _time;
        private double _learningRate;
        private double _gradNorm = double.NaN;

        public void Add(double loss, double learningRate, double gradNorm, long tokens, TimeSpan elapsed)
        {
            _lossSum += loss;
            _steps++;
            _tokens += tokens;
            _time += elapsed;
            _learningRate = learningRate;
            if (!double.IsNaN(gradNorm)) _gradNorm = gradNorm;
        }

        public MetricsRecord ToRecord(long step, double epoch, bool countsTokens, IReadOnlyDictionary<string, double>? parts)
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["loss"] = _steps == 0 ? double.NaN : _lossSum / _steps,
                ["lr"] = _learningRate,
            };
            foreach (var (name, value) in parts ?? new Dictionary<string, double>()) values[name] = value;
            if (!double.IsNaN(_gradNorm)) values["grad_norm"] = _gradNorm;
            var seconds = _time.TotalSeconds;
            if (seconds > 0)
            {
                values["steps_per_second"] = _steps / seconds;
                if (countsTokens) values["tokens_per_second"] = _tokens / seconds;
            }
            return new MetricsRecord(step, epoch, values);
        }
    }
}
