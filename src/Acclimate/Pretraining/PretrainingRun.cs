using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.Models;
using Acclimate.Models.Lora;
using Acclimate.Pretraining.Forgetting;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>What a pretraining run produced.</summary>
/// <param name="RunFolder">The run folder.</param>
/// <param name="ModelFolder">The final model as an HF folder (ELECTRA: the discriminator; the generator in its generator/ sub-folder).</param>
/// <param name="Training">The training loop's result.</param>
/// <param name="Forgetting">Held-out MLM scores before and after (domain and/or general), empty without held-out sets.</param>
/// <param name="TokenizeSeconds">Seconds spent building token caches in this call (0 when every cache was reused).</param>
/// <param name="FinalElectra">ELECTRA runs: the discriminator's held-out detection score at the end.</param>
public sealed record PretrainingResult(string RunFolder, string ModelFolder, TrainingResult Training, IReadOnlyList<ForgettingRow> Forgetting,
    double TokenizeSeconds, ElectraScore? FinalElectra);

/// <summary>
/// One pretraining run from a recipe, top to bottom: corpus → token cache → blocks (or NSP/SOP
/// pairs) → MLM collator → model → objective (+ L2-SP / EWC penalties, + rehearsal) →
/// <see cref="TrainingLoop{TBatch}"/> → run folder with metrics, plots, checkpoints, the final model
/// (<c>model/</c>) and a forgetting report (MLM perplexity on the domain and general held-out sets,
/// before and after) in <c>report.md</c> and <c>forgetting.json</c>.
/// </summary>
public sealed class PretrainingRun
{
    /// <summary>Sub-folder of the run folder that receives the final model.</summary>
    public const string ModelFolderName = "model";

    private readonly Recipe _recipe;
    private readonly PretrainingRecipe _r;
    private readonly TextWriter _log;

    /// <summary>Binds and checks the recipe (unknown sections/keys and invalid values fail here, before any work).</summary>
    public PretrainingRun(Recipe recipe, TextWriter? log = null)
    {
        _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));
        _r = PretrainingRecipe.From(recipe);
        _log = log ?? TextWriter.Null;
    }

    /// <summary>
    /// A run from a recipe built in code; it is bound and checked exactly like a YAML file (a value a
    /// file could not hold fails the same way), and the run folder's recipe.yaml says it in YAML.
    /// </summary>
    public PretrainingRun(PretrainingRecipe recipe, TextWriter? log = null)
        : this(Recipe.From(recipe ?? throw new ArgumentNullException(nameof(recipe)), "(PretrainingRecipe)"), log)
    {
    }

    /// <summary>The recipe the run executes.</summary>
    public PretrainingRecipe Options => _r;

    /// <summary>Ends training after this update, as if interrupted (for resume tests and time-boxed sessions).</summary>
    public long? StopAtStep { get; init; }

    /// <summary>Progress lines start with a text progress bar (see <see cref="ConsoleTrainingProgress"/>).</summary>
    public bool ProgressBars { get; init; }

    /// <summary>
    /// Writes the run into this folder instead of the recipe's (or the resumed run's) folder, while
    /// still resuming from <c>run.resume_from</c>: what a data-parallel rank other than 0 does, so
    /// that rank 0 alone writes the real run folder.
    /// </summary>
    public string? ScratchFolder { get; init; }

    /// <summary>Runs it.</summary>
    public PretrainingResult Execute()
    {
        var r = _r;
        var device = SetUpRuntime();
        var tokenizerFolder = r.Model.Tokenizer ?? r.Model.Init!;
        var tokenizer = TokenizerLoader.FromFolder(tokenizerFolder);
        manual_seed(r.Training.Seed);   // a fresh model's initialization follows the seed
        using var model = PretrainingModel.Build(r, tokenizer, device);
        var vocabularySize = CheckModelFits(tokenizer, tokenizerFolder, model.DiscriminatorOrModel.Config);
        var run = OpenRunFolder();

        // Data: domain batches, general batches when a forgetting control asks for them, held-out sets.
        using var forgetting = ForgettingControls.From(r.Forgetting, FisherPath(run));
        using var corpora = new PretrainingCorpora(r, tokenizer, tokenizerFolder, vocabularySize, device, _log);
        var domain = corpora.Domain();
        var general = forgetting.NeedsGeneralTrain ? corpora.General(_recipe.Source, forgetting.GeneralTrainPurpose) : null;
        var report = new ForgettingReport(run, corpora.HeldOut(), model.Score, _log);
        var source = new PretrainingBatchSource(domain, r.Training.Seed, general, forgetting.Mix, forgetting.PairsGeneralBatch);

        // The step: the objective on the micro-batch, plus what each forgetting control adds.
        var objective = model.Objective();
        using var lossParts = new LossPartsLog();
        // The controls anchor at the weights as loaded, before any resume moves them.
        forgetting.Prepare(new ForgettingSetup(model.Module, objective, general, lossParts, _log));
        Tensor Step(PretrainingBatch batch)
        {
            var loss = objective.Compute(batch.Batch);
            lossParts.Add(loss.Parts);
            return forgetting.AddToLoss(loss.Total, batch);
        }

        var trainable = model.Trainable(tokenizer.SaveTo);
        // A resumed run's checkpoint already holds the warmed-up head. The forgetting table's
        // "before" is the model the main phase starts from, i.e. after the warm-up.
        if (r.Model.HeadWarmupSteps > 0 && r.Run.ResumeFrom is null)
        {
            HeadWarmup.Run(r, model, trainable, source, Step, report, run, _log, ProgressBars);
            lossParts.Drain();   // the warm-up's parts are not the main phase's first window
        }
        report.MeasureBefore(resuming: r.Run.ResumeFrom is not null);

        var lora = ApplyLora(model, ref trainable);
        using var optimizer = AdamWOptimizer.Create(model.Module, AdamWSettings.From(r.Training));
        var loop = MainLoop(model, trainable, optimizer, source, Step, lossParts, report, run);
        forgetting.DescribePlan(loop.TotalSteps * r.Training.GradAccumulation, _log);
        if (r.Run.ResumeFrom is string from)
        {
            loop.ResumeFrom(from);
            _log.WriteLine($"resuming from {from}");
        }
        var result = loop.Train();

        // After: the final model, the forgetting report, the held-out curves (not when stopped early).
        var modelFolder = Path.Combine(run.Path, ModelFolderName);
        IReadOnlyList<ForgettingRow> rows = Array.Empty<ForgettingRow>();
        ElectraScore? finalElectra = null;
        if (StopAtStep is null || result.GlobalStep != StopAtStep)
        {
            if (lora is not null) lora.SaveFinal(modelFolder, r.Lora.Save);
            else AtomicFolder.Write(modelFolder, trainable.Save);
            rows = report.MeasureAfter();
            if (model.Electra is not null && report.Sets.Count > 0) finalElectra = report.Sets[0].Evaluation.Score(model.Electra);
            report.Write(r, result, rows, finalElectra, corpora.TokenizeSeconds, forgetting);
            foreach (var metric in new[] { "eval_perplexity", "eval_general_perplexity" })
                MetricsPlots.MetricCurve(run.Plot(metric + ".png"), MetricsLog.Read(run.MetricsFile), metric);
        }
        report.LogRows(rows);
        return new PretrainingResult(run.Path, modelFolder, result, rows, corpora.TokenizeSeconds, finalElectra);
    }

    /// <summary>libtorch started, its threads set, the device resolved (once: the model, the batches, the ELECTRA sampler and the penalties' anchors all live there).</summary>
    private Device SetUpRuntime()
    {
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(TrainingEnvironment.ThreadsFor(_r.Training.Threads));
        var device = TorchRuntime.ResolveDevice(_r.Training.Device, "training.device");
        _log.WriteLine($"device: {device}");
        return device;
    }

    /// <summary>Fails when the tokenizer or the block size does not fit the model; returns the model's vocabulary size.</summary>
    private int CheckModelFits(ITextTokenizer tokenizer, string tokenizerFolder, EncoderConfig config)
    {
        if (tokenizer.VocabSize > config.VocabSize)
            throw new ConfigException($"{tokenizerFolder}: the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {config.VocabSize} " +
                                      $"({_r.Model.Init ?? "from scratch"}); they do not belong together (grow the model with `vocab extend`, or use the model's own tokenizer).");
        if (_r.Data.BlockSize > config.MaxPositionEmbeddings)
            throw new ConfigException($"data.block_size {_r.Data.BlockSize} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}.");
        return config.VocabSize;
    }

    /// <summary>
    /// The run folder: the scratch folder (a data-parallel rank other than 0), the resumed
    /// checkpoint's run, run.folder, or a new output/name-time folder; the recipe is saved into it.
    /// </summary>
    private RunFolder OpenRunFolder()
    {
        RunFolder run;
        if (ScratchFolder is string scratch) run = RunFolder.At(scratch);
        else if (_r.Run.ResumeFrom is string resume)
        {
            if (!Directory.Exists(resume)) throw new CheckpointException($"run.resume_from {resume}: checkpoint folder not found.");
            run = RunFolder.At(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(resume).TrimEnd(Path.DirectorySeparatorChar)))!);
        }
        else run = _r.Run.Folder is string folder ? RunFolder.At(folder) : RunFolder.Create(_r.Run.Output, _r.Run.Name);
        run.SaveRecipe(_recipe);
        _log.WriteLine($"run folder: {run.Path}");
        return run;
    }

    /// <summary>EWC's Fisher file: the recipe's, else fisher.safetensors in the run folder.</summary>
    private string FisherPath(RunFolder run) => _r.Forgetting.EwcFisherFile ?? Path.Combine(run.Path, "fisher.safetensors");

    /// <summary>The main phase's loop: evaluation on the held-out sets, checkpoints, stops, ELECTRA's sampler state.</summary>
    private TrainingLoop<PretrainingBatch> MainLoop(PretrainingModel model, ITrainableModel trainable, AdamWOptimizer optimizer, PretrainingBatchSource source,
        Func<PretrainingBatch, Tensor> step, LossPartsLog lossParts, ForgettingReport report, RunFolder run)
    {
        var electra = model.Electra;
        return new TrainingLoop<PretrainingBatch>(_r.Training, trainable, optimizer, source, step)
        {
            CountTokens = b => b.Tokens,
            Evaluate = report.Sets.Count == 0 ? null : () => new MetricValues(model.Evaluate(report.Sets)),
            LossParts = lossParts,
            Progress = new ConsoleTrainingProgress(_log, ProgressBars),
            Run = run,
            StopAtStep = StopAtStep,
            StopWhen = _r.Run.MaxTrainSeconds > 0 ? time => time.TotalSeconds >= _r.Run.MaxTrainSeconds : null,
            SaveExtraState = electra is null ? null : () => SamplerState(electra.Sampler),
            RestoreExtraState = electra is null ? null : node => RestoreSampler(electra.Sampler, node),
            SeedMicroBatch = electra is null ? null : seed => electra.Sampler.manual_seed(seed),
        };
    }

    /// <summary>
    /// With a <c>lora:</c> section: adapters on the MLM model's encoder (after the head warm-up, which
    /// trains the head alone), everything else frozen but what the section keeps trainable; the
    /// training target becomes the LoRA one (merged checkpoints with the adapter beside them).
    /// </summary>
    private LoraTrainableModel? ApplyLora(PretrainingModel built, ref ITrainableModel trainable)
    {
        var r = _r;
        if (!r.Lora.Enabled) return null;
        var mlm = built.Mlm ?? throw new ConfigException("lora: LoRA applies to MLM objectives (mlm, mlm_nsp, mlm_sop); ELECTRA trains two networks together and is not supported with LoRA.");
        var lora = LoraModel.Apply(mlm, r.Lora.ToSpec(trainHead: r.Lora.TrainMlmHead));
        var (trained, total) = lora.ParameterCounts();
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"lora: rank {r.Lora.Rank}, alpha {r.Lora.Alpha}, {lora.TargetKeys.Count} adapted layers ({string.Join(", ", r.Lora.TargetModules)}); {trained:N0} of {total:N0} parameters train ({100.0 * trained / total:0.##} %)"));
        var wrapped = new LoraTrainableModel(trainable, lora, r.Model.Init);
        trainable = wrapped;
        return wrapped;
    }

    // ---- ELECTRA sampler state in trainer_state.json -------------------------------------------

    private static JsonNode SamplerState(Generator sampler)
    {
        using var state = sampler.get_state();
        return new JsonObject { ["electra_sampler"] = Convert.ToBase64String(state.data<byte>().ToArray()) };
    }

    private static void RestoreSampler(Generator sampler, JsonNode? node)
    {
        var text = node?["electra_sampler"]?.GetValue<string>()
            ?? throw new CheckpointException("trainer_state.json has no ELECTRA sampler state (extra.electra_sampler); it was not written by an ELECTRA run.");
        using var state = tensor(Convert.FromBase64String(text), ScalarType.Byte);
        sampler.set_state(state);
    }
}
