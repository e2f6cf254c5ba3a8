using Acclimate.Models.Lora;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Continual;
using Acclimate.Data.Batching;
using Acclimate.Data.Caching;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Reporting;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Training;
using TorchSharp;
using static TorchSharp.torch;
using Acclimate.IO;

namespace Acclimate.Pretraining;

/// <summary>MLM score of one held-out set before and after a run.</summary>
public sealed record ForgettingRow(string Set, string Corpus, MlmScore Before, MlmScore After)
{
    /// <summary>Relative change of perplexity, after / before − 1.</summary>
    public double PerplexityChange => After.Perplexity / Before.Perplexity - 1;
}

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
        TorchRuntime.EnsureInitialized();
        var r = _r;
        var threads = TrainingEnvironment.ThreadsFor(r.Training.Threads);
        TorchRuntime.SetThreads(threads);
        // Resolved once: the model, the batches, the ELECTRA sampler and the penalties' reference tensors all live there.
        var device = TorchRuntime.ResolveDevice(r.Training.Device, "training.device");
        _log.WriteLine($"device: {device}");

        // ---- tokenizer and model -------------------------------------------------------------
        var tokenizerFolder = r.Model.Tokenizer ?? r.Model.Init!;
        var tokenizer = TokenizerLoader.FromFolder(tokenizerFolder);
        manual_seed(r.Training.Seed);   // a fresh model's initialization follows the seed
        using var built = BuildModel(r, tokenizer, device);
        var config = built.DiscriminatorOrModel.Config;
        if (tokenizer.VocabSize > config.VocabSize)
            throw new ConfigException($"{tokenizerFolder}: the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {config.VocabSize} " +
                                      $"({r.Model.Init ?? "from scratch"}); they do not belong together (grow the model with `vocab extend`, or use the model's own tokenizer).");
        if (r.Data.BlockSize > config.MaxPositionEmbeddings)
            throw new ConfigException($"data.block_size {r.Data.BlockSize} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}.");

        var specials = new SpecialTokenIds(tokenizer.PadTokenId, tokenizer.MaskTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.SpecialTokenIds);
        var wholeWords = r.Objective.WholeWord ? WholeWordBoundaries(tokenizer, config.VocabSize) : null;
        var masking = r.Objective.ToMasking(r.Training.Seed);
        var collator = new MlmCollator(masking, specials, config.VocabSize, wholeWords, device);

        // ---- run folder ---------------------------------------------------------------------
        RunFolder run;
        if (ScratchFolder is string scratch) run = RunFolder.At(scratch);
        else if (r.Run.ResumeFrom is string resume)
        {
            if (!Directory.Exists(resume)) throw new CheckpointException($"run.resume_from {resume}: checkpoint folder not found.");
            run = RunFolder.At(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(resume).TrimEnd(Path.DirectorySeparatorChar)))!);
        }
        else run = r.Run.Folder is string folder ? RunFolder.At(folder) : RunFolder.Create(r.Run.Output, r.Run.Name);
        run.SaveRecipe(_recipe);
        _log.WriteLine($"run folder: {run.Path}");

        // ---- data ---------------------------------------------------------------------------
        var cacheRoot = r.Run.TokenCache ?? Path.Combine(AcclimateCache.DefaultDirectory(), "tokens");
        var tokenizeSeconds = 0.0;
        TokenCache OpenCache(string what, string path)
        {
            var clock = Stopwatch.StartNew();
            var reader = new CorpusReader(path, r.Data.ToCorpusOptions());
            var progress = new BuildProgress(_log, what);
            var cache = TokenCacheBuilder.GetOrBuild(reader, tokenizer, tokenizerFolder, cacheRoot, progress,
                r.Data.TokenizeThreads > 0 ? r.Data.TokenizeThreads : null);
            clock.Stop();
            if (progress.Built) tokenizeSeconds += clock.Elapsed.TotalSeconds;
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {path}: {cache.DocumentCount:N0} documents, {cache.TokenCount:N0} tokens ({(progress.Built ? $"tokenized in {clock.Elapsed.TotalSeconds:F1} s" : "token cache reused")}, {cache.Folder})"));
            return cache;
        }

        var caches = new List<TokenCache>();
        try
        {
            var trainCache = OpenCache("data.train", r.Data.Train!);
            caches.Add(trainCache);
            IPretrainingExamples trainExamples = r.Objective.Kind is PretrainingObjectiveKind.MlmNsp or PretrainingObjectiveKind.MlmSop
                ? SentencePairs(trainCache, tokenizer, r)
                : new BlockExamples(new PretrainingBlocks(trainCache, r.Data.BlockSize, r.Data.BlockMode, tokenizer.ClsTokenId, tokenizer.SepTokenId),
                    wordReferences: WordReferences(r, trainCache));
            var batchSize = r.Training.BatchSize;
            var domain = new PretrainingBatchSequence("data.train " + r.Data.Train, trainExamples, collator, batchSize, r.Training.Seed, stream: 0);

            PretrainingBatchSequence? general = null;
            if (r.Forgetting.NeedsGeneralTrain(fisherFileExists: File.Exists(FisherPath(r, run))))
            {
                if (r.General.Train is null)
                    throw new ConfigException($"{_recipe.Source}: forgetting control (rehearsal, or EWC whose Fisher file {FisherPath(r, run)} does not exist yet) needs general.train, a general-domain corpus.");
                var generalCache = OpenCache("general.train", r.General.Train);
                caches.Add(generalCache);
                general = new PretrainingBatchSequence("general.train " + r.General.Train,
                    new BlockExamples(new PretrainingBlocks(generalCache, r.Data.BlockSize, r.Data.BlockMode, tokenizer.ClsTokenId, tokenizer.SepTokenId)),
                    collator, batchSize, r.Training.Seed, stream: 1);
            }

            var evaluations = new List<(string Name, string Corpus, MlmEvaluation Evaluation)>();
            void AddEvaluation(string name, string? path)
            {
                if (path is null) return;
                var cache = OpenCache(name == "domain" ? "data.eval" : "general.eval", path);
                caches.Add(cache);
                var blocks = new PretrainingBlocks(cache, r.Data.BlockSize, BlockMode.Packed, tokenizer.ClsTokenId, tokenizer.SepTokenId);
                evaluations.Add((name, path, new MlmEvaluation(new BlockExamples(blocks, r.Data.EvalMaxBlocks), masking, specials, config.VocabSize,
                    r.Data.EvalBatchSize, wholeWords, device)));
            }
            AddEvaluation("domain", r.Data.Eval);
            AddEvaluation("general", r.General.Eval);

            // ---- objective, penalties, source --------------------------------------------------
            IPretrainingObjective objective = built.Electra is { } e ? e : new MlmObjective(built.Mlm!);
            var module = built.Module;
            var mix = r.Forgetting.MixSchedule();
            var source = new PretrainingBatchSource(domain, r.Training.Seed, general, mix, weighted: r.Forgetting.RehearsalWeight > 0);
            var weighted = r.Forgetting.RehearsalWeight > 0 ? new WeightedRehearsal(r.Forgetting.RehearsalWeight) : null;

            // The penalties anchor at the weights as loaded, before any resume moves them.
            using var l2sp = r.Forgetting.L2sp > 0 ? new L2SpPenalty(module, r.Forgetting.L2sp, ParameterSelection.All) : null;
            using var fisher = r.Forgetting.Ewc > 0 ? LoadOrEstimateFisher(r, run, module, objective, general) : null;
            using var ewc = fisher is null ? null : new EwcPenalty(module, fisher, r.Forgetting.Ewc);

            var saveTokenizer = (Action<string>)tokenizer.SaveTo;
            ITrainableModel trainable = built.Electra is { } electra ? new ElectraTrainableModel(electra, saveTokenizer) : new HfTrainableModel(built.Mlm!, saveTokenizer);

            using var lossParts = new LossPartsLog();
            Tensor Step(PretrainingBatch batch)
            {
                var domain = objective.Compute(batch.Batch);
                lossParts.Add(domain.Parts);
                var loss = domain.Total;
                if (batch.General is not null)
                {
                    var general = objective.Compute(batch.General);
                    lossParts.Add(general.Parts, prefix: "general_");
                    loss = weighted!.Combine(loss, general.Total);
                }
                if (l2sp is not null) loss = loss + l2sp.Compute();
                if (ewc is not null) loss = loss + ewc.Compute();
                return loss;
            }

            Func<IEvaluationScores>? evaluate = evaluations.Count == 0 ? null : () => new MetricValues(Evaluate(built, evaluations));
            // ---- head warm-up (encoder-only checkpoints), then "before" ----------------------------
            // A resumed run's checkpoint already holds the warmed-up head. The forgetting table's
            // "before" is the model the main phase starts from, i.e. after the warm-up.
            if (r.Model.HeadWarmupSteps > 0 && r.Run.ResumeFrom is null)
            {
                var untrained = evaluations.ToDictionary(e => e.Name, e => Score(built, e.Evaluation));
                WriteHeadWarmup(run, r, untrained, WarmUpHead(r, built, trainable, source, Step, evaluations));
                lossParts.Drain();   // the warm-up's parts are not the main phase's first window
            }
            var before = BeforeScores(run, built, evaluations, resuming: r.Run.ResumeFrom is not null);

            var lora = ApplyLora(r, built, ref trainable);
            using var optimizer = AdamWOptimizer.Create(module, AdamWSettings.From(r.Training));
            var loop = new TrainingLoop<PretrainingBatch>(r.Training, trainable, optimizer, source, Step)
            {
                CountTokens = b => b.Tokens,
                Evaluate = evaluate,
                LossParts = lossParts,
                Progress = new ConsoleTrainingProgress(_log, ProgressBars),
                Run = run,
                StopAtStep = StopAtStep,
                StopWhen = r.Run.MaxTrainSeconds > 0 ? time => time.TotalSeconds >= r.Run.MaxTrainSeconds : null,
                SaveExtraState = built.Electra is null ? null : () => SamplerState(built.Electra.Sampler),
                RestoreExtraState = built.Electra is null ? null : node => RestoreSampler(built.Electra.Sampler, node),
                SeedMicroBatch = built.Electra is null ? null : seed => built.Electra.Sampler.manual_seed(seed),
            };
            if (mix is not null)
            {
                var planned = loop.TotalSteps * r.Training.GradAccumulation;
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rehearsal: {mix.GeneralPerPeriod} general batch(es) in every {mix.Period} (share {mix.GeneralFraction:0.######}); " +
                    $"over the planned {planned} micro-batches {mix.CountsBefore(planned).General} are general (realised share {RealisedShare(mix, planned):0.######})"));
            }
            if (r.Run.ResumeFrom is string from)
            {
                loop.ResumeFrom(from);
                _log.WriteLine($"resuming from {from}");
            }
            var result = loop.Train();

            // ---- after ------------------------------------------------------------------------
            var modelFolder = Path.Combine(run.Path, ModelFolderName);
            var rows = new List<ForgettingRow>();
            ElectraScore? finalElectra = null;
            if (StopAtStep is null || result.GlobalStep != StopAtStep)
            {
                if (lora is not null) lora.SaveFinal(modelFolder, r.Lora.Save);
                else AtomicFolder.Write(modelFolder, trainable.Save);
                foreach (var (name, corpus, evaluation) in evaluations)
                {
                    var after = Score(built, evaluation);
                    rows.Add(new ForgettingRow(name, corpus, before[name], after));
                }
                if (built.Electra is not null && evaluations.Count > 0) finalElectra = evaluations[0].Evaluation.Score(built.Electra);
                WriteReport(run, r, result, rows, finalElectra, tokenizeSeconds);
                foreach (var metric in new[] { "eval_perplexity", "eval_general_perplexity" })
                    MetricsPlots.MetricCurve(run.Plot(metric + ".png"), MetricsLog.Read(run.MetricsFile), metric);
            }
            foreach (var row in rows)
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{row.Set} held-out ({row.Corpus}): perplexity {row.Before.Perplexity:F2} → {row.After.Perplexity:F2} ({row.PerplexityChange:+0.0%;-0.0%}), loss {row.Before.Loss:F4} → {row.After.Loss:F4}"));
            return new PretrainingResult(run.Path, modelFolder, result, rows, tokenizeSeconds, finalElectra);
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
    }

    /// <summary>
    /// With a <c>lora:</c> section: adapters on the MLM model's encoder (after the head warm-up, which
    /// trains the head alone), everything else frozen but what the section keeps trainable; the
    /// training target becomes the LoRA one (merged checkpoints with the adapter beside them).
    /// </summary>
    private LoraTrainableModel? ApplyLora(PretrainingRecipe r, BuiltModel built, ref ITrainableModel trainable)
    {
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

    /// <summary>
    /// The head warm-up phase: only the MLM head's own parameters train (the encoder and the word
    /// embeddings its decoder is tied to stay frozen), with their own optimizer and schedule, for
    /// model.head_warmup_steps updates; nothing is checkpointed (a killed run repeats the phase).
    /// Returns the held-out scores after it.
    /// </summary>
    private Dictionary<string, MlmScore> WarmUpHead(PretrainingRecipe r, BuiltModel built, ITrainableModel trainable, PretrainingBatchSource source,
        Func<PretrainingBatch, Tensor> step, List<(string Name, string Path, MlmEvaluation Evaluation)> evaluations)
    {
        var mlm = built.Mlm ?? throw new ConfigException("model.head_warmup_steps applies to MLM objectives; ELECTRA's heads start together.");
        var tied = mlm.Encoder.Embeddings.WordEmbeddingWeight.Handle;
        var head = mlm.named_parameters()
            .Where(p => !p.name.StartsWith(mlm.BackboneName + ".", StringComparison.Ordinal) && p.parameter.Handle != tied)
            .ToList();
        if (head.Count == 0) throw new ConfigException("model.head_warmup_steps: the model has no head parameters of its own to train.");
        var headHandles = head.Select(p => p.parameter.Handle).ToHashSet();
        var frozen = mlm.parameters().Where(p => p.requires_grad && !headHandles.Contains(p.Handle)).ToList();
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"head warm-up: {r.Model.HeadWarmupSteps} updates of the MLM head alone ({head.Sum(p => p.parameter.numel()):N0} parameters: {string.Join(", ", head.Select(p => p.name))}), encoder frozen, learning rate {r.Model.HeadWarmupLearningRate:G3}"));
        foreach (var p in frozen) p.requires_grad_(false);
        try
        {
            var options = r.Training with
            {
                MaxSteps = r.Model.HeadWarmupSteps, LearningRate = r.Model.HeadWarmupLearningRate,
                WarmupSteps = 0, WarmupRatio = 0.1, EvalEvery = 0, SaveEvery = 0, EarlyStoppingPatience = 0,
            };
            using var optimizer = AdamWOptimizer.Create(head, AdamWSettings.From(options));
            var loop = new TrainingLoop<PretrainingBatch>(options, trainable, optimizer, source, step)
            {
                CountTokens = b => b.Tokens,
                Progress = new ConsoleTrainingProgress(new PrefixedWriter(_log, "head warm-up | "), ProgressBars),
            };
            loop.Train();
        }
        finally
        {
            foreach (var p in frozen) p.requires_grad_(true);
        }
        var scores = evaluations.ToDictionary(e => e.Name, e => Score(built, e.Evaluation));
        foreach (var (name, score) in scores)
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after head warm-up, {name} held-out perplexity {score.Perplexity:F2} (loss {score.Loss:F4})"));
        return scores;
    }

    /// <summary>head_warmup.json in the run folder: held-out perplexity before and after the head warm-up.</summary>
    private static void WriteHeadWarmup(RunFolder run, PretrainingRecipe r, IReadOnlyDictionary<string, MlmScore> before, IReadOnlyDictionary<string, MlmScore> after)
    {
        var sets = new JsonObject();
        foreach (var (name, score) in after)
            sets[name] = new JsonObject
            {
                ["perplexity_before"] = before.TryGetValue(name, out var b) ? b.Perplexity : null,
                ["perplexity_after"] = score.Perplexity,
                ["loss_after"] = score.Loss,
            };
        AtomicFile.WriteAllText(Path.Combine(run.Path, "head_warmup.json"), new JsonObject
        {
            ["steps"] = r.Model.HeadWarmupSteps,
            ["learning_rate"] = r.Model.HeadWarmupLearningRate,
            ["held_out"] = sets,
        }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Prefixes every line written through it (the warm-up's progress lines).</summary>
    private sealed class PrefixedWriter(TextWriter inner, string prefix) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;
        public override void WriteLine(string? value) => inner.WriteLine(prefix + value);
        public override void Write(char value) => inner.Write(value);
    }

    /// <summary>Notes (synchronously) that a cache build reported progress, i.e. that tokenizing happened.</summary>
    /// <summary>Notes that a cache was built, and logs its progress (documents, tokens, tokens/s) every 30 s of a long build.</summary>
    private sealed class BuildProgress(TextWriter log, string what) : IProgress<TokenCacheProgress>
    {
        private TimeSpan _next = TimeSpan.FromSeconds(30);
        public bool Built { get; private set; }
        public void Report(TokenCacheProgress value)
        {
            Built = true;
            if (value.Elapsed < _next) return;
            _next = value.Elapsed + TimeSpan.FromSeconds(30);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{what}: tokenizing: {value.Documents:N0} documents, {value.Tokens:N0} tokens in {value.Shards} shard(s), {value.TokensPerSecond:N0} tokens/s"));
        }
    }

    // ---- model building -----------------------------------------------------------------------

    private sealed class BuiltModel : IDisposable
    {
        public MaskedLmModel? Mlm { get; init; }
        public ElectraPretrainingModel? Electra { get; init; }
        public nn.Module Module => (nn.Module?)Electra ?? Mlm!;
        public TransformerModel DiscriminatorOrModel => (TransformerModel?)Electra?.Discriminator ?? Mlm!;
        /// <summary>ELECTRA's seeded sampler; owned here so that it is freed with the model, not by a finalizer.</summary>
        public Generator? Sampler { get; init; }
        public void Dispose()
        {
            Module.Dispose();
            Sampler?.Dispose();
        }
    }

    /// <summary>
    /// The model on <paramref name="device"/>. ELECTRA's generator and discriminator are moved
    /// before they are joined: the pair shares its embedding Parameters, and moving the joined
    /// module would give each side its own copy.
    /// </summary>
    private static BuiltModel BuildModel(PretrainingRecipe r, ITextTokenizer tokenizer, Device device)
    {
        var kind = r.Objective.Kind;
        if (kind == PretrainingObjectiveKind.Electra)
        {
            // multinomial needs a generator of the probabilities' device.
            var sampler = new Generator((ulong)r.Training.Seed, device);
            var parts = new List<IDisposable> { sampler };
            try
            {
                ElectraPretrainingModel electra;
                if (r.Model.Init is string init)
                {
                    var disc = PretrainedModel.Load(init, ModelTask.PreTraining).Model;
                    parts.Add(disc);
                    if (disc is not ElectraDiscriminatorModel discriminator)
                        throw new ConfigException($"model.init {init}: objective electra needs an ELECTRA model, found {disc.ArchitectureName}.");
                    var generator = r.Model.GeneratorInit is string generatorInit
                        ? PretrainedModel.Load(generatorInit, ModelTask.MaskedLM).Model
                        : ModelFactory.Create(ElectraPretrainingModel.GeneratorConfig(discriminator.Config, r.Model.GeneratorFraction), ModelTask.MaskedLM);
                    parts.Add(generator);
                    if (generator is not MaskedLmModel generatorMlm)
                        throw new ConfigException($"model.generator_init {r.Model.GeneratorInit}: expected a masked-LM generator, found {generator.ArchitectureName}.");
                    DevicePlacement.MoveTo(discriminator, device);
                    DevicePlacement.MoveTo(generatorMlm, device);
                    electra = new ElectraPretrainingModel(generatorMlm, discriminator, sampler, r.Objective.DiscriminatorWeight);
                }
                else
                {
                    if (r.Model.Architecture != ModelType.Electra)
                        throw new ConfigException($"objective electra needs model.architecture electra (found {RecipeNames.EnumValue(r.Model.Architecture)}).");
                    electra = ElectraPretrainingModel.Create(ScratchConfig(r, tokenizer), sampler, r.Model.GeneratorFraction, r.Objective.DiscriminatorWeight, device);
                }
                return new BuiltModel { Electra = electra, Sampler = sampler };
            }
            catch
            {
                // Native memory is freed here, on this thread, not later by finalizers.
                foreach (var part in parts) part.Dispose();
                throw;
            }
        }

        var withSentenceHead = kind is PretrainingObjectiveKind.MlmNsp or PretrainingObjectiveKind.MlmSop;
        var task = withSentenceHead ? ModelTask.PreTraining : ModelTask.MaskedLM;
        TransformerModel model;
        if (r.Model.Init is string folder)
        {
            model = PretrainedModel.Load(folder, task).Model;
        }
        else
        {
            model = ModelFactory.Create(ScratchConfig(r, tokenizer), task);
        }
        if (model is not MaskedLmModel mlm)
        {
            model.Dispose();
            throw new ConfigException($"objective {RecipeNames.EnumValue(kind)} needs a masked-LM model, found {model.ArchitectureName}.");
        }
        var sentenceObjective = kind switch { PretrainingObjectiveKind.MlmNsp => "NSP", PretrainingObjectiveKind.MlmSop => "SOP", _ => null };
        if (sentenceObjective is not null && mlm.Config.Family.SentenceObjective != sentenceObjective)
        {
            var family = mlm.Config.Family;
            mlm.Dispose();
            var fits = string.Join(" or ", EncoderFamily.All.Where(f => f.SentenceObjective == sentenceObjective).Select(f => f.ClassPrefix.ToUpperInvariant()));
            throw new ConfigException($"objective {RecipeNames.EnumValue(kind)} needs a {fits} model (one with a {sentenceObjective} head), found {family}.");
        }
        return new BuiltModel { Mlm = DevicePlacement.MoveTo(mlm, device) };
    }

    private static EncoderConfig ScratchConfig(PretrainingRecipe r, ITextTokenizer tokenizer)
    {
        var m = r.Model;
        return EncoderConfig.Create(m.Architecture, tokenizer.VocabSize, m.HiddenSize, m.NumLayers, m.NumHeads, m.IntermediateSize,
            m.EmbeddingSize, m.MaxPositionEmbeddings, extra: obj => obj["pad_token_id"] = tokenizer.PadTokenId);
    }

    /// <summary>data.whole_word_reference read and checked against the training corpus, or null.</summary>
    private static IReadOnlyList<int[]>? WordReferences(PretrainingRecipe r, TokenCache trainCache)
    {
        if (r.Data.WholeWordReference is not { } path) return null;
        if (!r.Objective.WholeWord)
            throw new ConfigException($"data.whole_word_reference {path}: word positions are used by whole-word masking; set objective.whole_word: true.");
        if (r.Objective.Kind != PretrainingObjectiveKind.Mlm)
            throw new ConfigException($"data.whole_word_reference {path}: supported for objective.kind mlm (got {RecipeNames.EnumValue(r.Objective.Kind)}).");
        var references = ChineseWordReferences.Read(path);
        if (references.Count != trainCache.DocumentCount)
            throw new DataException($"{path}: {references.Count:N0} reference lines, but {r.Data.Train} has {trainCache.DocumentCount:N0} non-blank lines; line k of one belongs to line k of the other.");
        return references;
    }

    private static WordBoundaries WholeWordBoundaries(ITextTokenizer tokenizer, int vocabularySize)
    {
        var scheme = tokenizer.Kind switch
        {
            TokenizerKind.WordPiece => SubwordScheme.WordPiece,
            TokenizerKind.ByteLevelBpe => SubwordScheme.ByteLevelBpe,
            _ => SubwordScheme.SentencePiece,
        };
        var strings = new string[vocabularySize];
        for (var id = 0; id < vocabularySize; id++)
            strings[id] = id < tokenizer.VocabSize ? tokenizer.IdToToken(id) : "";
        return new WordBoundaries(strings, scheme);
    }

    // ---- NSP / SOP ------------------------------------------------------------------------------

    /// <summary>
    /// NSP/SOP pairs from the cached documents. The cache keeps no sentence boundaries, so segments
    /// are cut after sentence-final punctuation tokens (". ! ?" as the tokenizer spells them); a
    /// document without any is one segment. Pairs are drawn once from the run seed.
    /// </summary>
    private PairExamples SentencePairs(TokenCache cache, ITextTokenizer tokenizer, PretrainingRecipe r)
    {
        var enders = new HashSet<int>();
        foreach (var text in new[] { ".", "!", "?", "Ġ.", "▁.", "Ġ!", "Ġ?" })
            if (tokenizer.TokenToId(text) is int id) enders.Add(id);
        var documents = new List<IReadOnlyList<IReadOnlyList<int>>>(cache.DocumentCount);
        for (var d = 0; d < cache.DocumentCount; d++)
        {
            var ids = cache.Document(d);
            var segments = new List<IReadOnlyList<int>>();
            var start = 0;
            for (var i = 0; i < ids.Length; i++)
                if (enders.Contains(ids[i]))
                {
                    segments.Add(ids[start..(i + 1)]);
                    start = i + 1;
                }
            if (start < ids.Length) segments.Add(ids[start..]);
            documents.Add(segments);
        }
        var task = r.Objective.Kind == PretrainingObjectiveKind.MlmNsp ? SentencePairTask.NextSentencePrediction : SentencePairTask.SentenceOrderPrediction;
        var options = new SentencePairOptions(task, r.Data.BlockSize, tokenizer.ClsTokenId, tokenizer.SepTokenId)
        {
            NegativeProbability = r.Objective.SentenceNegativeProbability,
        };
        var pairs = new SentencePairBuilder(options, documents).Examples(new Random(r.Training.Seed)).ToList();
        if (pairs.Count == 0)
            throw new DataException($"data.train {r.Data.Train}: no sentence pair could be built (every document is a single sentence?); {RecipeNames.EnumValue(r.Objective.Kind)} needs documents of two or more sentences.");
        _log.WriteLine($"{RecipeNames.EnumValue(r.Objective.Kind)}: {pairs.Count:N0} sentence pairs from {cache.DocumentCount:N0} documents ({pairs.Count(p => p.Label == 1):N0} with label 1)");
        return new PairExamples(pairs);
    }

    // ---- EWC -------------------------------------------------------------------------------------

    /// <summary>EWC's Fisher file: the recipe's, else fisher.safetensors in the run folder.</summary>
    private static string FisherPath(PretrainingRecipe r, RunFolder run) => r.Forgetting.EwcFisherFile ?? Path.Combine(run.Path, "fisher.safetensors");

    private FisherInformation LoadOrEstimateFisher(PretrainingRecipe r, RunFolder run, nn.Module module, IPretrainingObjective objective,
        PretrainingBatchSequence? general)
    {
        var path = FisherPath(r, run);
        if (File.Exists(path))
        {
            _log.WriteLine($"EWC: Fisher information from {path}");
            return FisherInformation.Load(path);
        }
        if (general is null)
            throw new ConfigException($"forgetting.ewc_fisher_file {path} does not exist and there is no general.train corpus to estimate it from.");
        var clock = Stopwatch.StartNew();
        // Batches from their own stream (2), so estimating does not consume the rehearsal stream.
        var batches = Enumerable.Range(0, r.Forgetting.EwcFisherBatches).Select(i => general.Batch(i));
        // Each batch is made here and used once: the loss frees it, rather than the finalizer thread later.
        var fisher = FisherEstimator.Estimate(module, batches, b =>
        {
            using (b) return objective.Compute(b).Total;
        }, ParameterSelection.All, r.Forgetting.EwcFisherBatches);
        fisher.Save(path);
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"EWC: Fisher estimated on {fisher.BatchCount} general batches in {clock.Elapsed.TotalSeconds:F1} s, saved to {path}"));
        return fisher;
    }

    // ---- evaluation and the forgetting report -----------------------------------------------------

    private static MlmScore Score(BuiltModel built, MlmEvaluation evaluation) =>
        built.Electra is { } e ? evaluation.Score(e).Generator : evaluation.Score(built.Mlm!);

    private static IReadOnlyDictionary<string, double> Evaluate(BuiltModel built, List<(string Name, string Corpus, MlmEvaluation Evaluation)> evaluations)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, _, evaluation) in evaluations)
        {
            var prefix = name == "domain" ? "" : name + "_";
            MlmScore score;
            if (built.Electra is { } e)
            {
                var electra = evaluation.Score(e);
                score = electra.Generator;
                values[prefix + "disc_accuracy"] = electra.DiscriminatorAccuracy;
                values[prefix + "replaced_recall"] = electra.ReplacedRecall;
            }
            else score = evaluation.Score(built.Mlm!);
            values[prefix + "loss"] = score.Loss;
            values[prefix + "perplexity"] = score.Perplexity;
        }
        // metric_for_best defaults to "loss": with only a general set, that is the general loss.
        if (!values.ContainsKey("loss") && values.TryGetValue("general_loss", out var generalLoss)) values["loss"] = generalLoss;
        return values;
    }

    private const string BeforeFile = "forgetting-before.json";

    private Dictionary<string, MlmScore> BeforeScores(RunFolder run, BuiltModel built, List<(string Name, string Corpus, MlmEvaluation Evaluation)> evaluations, bool resuming)
    {
        var path = Path.Combine(run.Path, BeforeFile);
        var scores = new Dictionary<string, MlmScore>(StringComparer.Ordinal);
        if (resuming && File.Exists(path))
        {
            var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            foreach (var (name, value) in node)
                scores[name] = new MlmScore(value!["loss"]!.GetValue<double>(), value["masked_tokens"]!.GetValue<long>(), value["sequences"]!.GetValue<int>());
            return scores;
        }
        var json = new JsonObject();
        foreach (var (name, corpus, evaluation) in evaluations)
        {
            var score = Score(built, evaluation);
            scores[name] = score;
            json[name] = new JsonObject { ["corpus"] = corpus, ["loss"] = score.Loss, ["perplexity"] = score.Perplexity, ["masked_tokens"] = score.MaskedTokens, ["sequences"] = score.Sequences };
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"before: {name} held-out perplexity {score.Perplexity:F2} (loss {score.Loss:F4}, {score.MaskedTokens:N0} masked tokens in {score.Sequences} blocks)"));
        }
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return scores;
    }

    /// <summary>General batches among the first <paramref name="microBatches"/>, as a share (0 for none).</summary>
    private static double RealisedShare(RehearsalSchedule mix, long microBatches) =>
        microBatches > 0 ? (double)mix.CountsBefore(microBatches).General / microBatches : 0;

    private static void WriteReport(RunFolder run, PretrainingRecipe r, TrainingResult result, IReadOnlyList<ForgettingRow> rows, ElectraScore? electra, double tokenizeSeconds)
    {
        var json = new JsonObject
        {
            ["steps"] = result.GlobalStep,
            ["training_seconds"] = result.TrainingTime.TotalSeconds,
            ["tokenize_seconds"] = tokenizeSeconds,
        };
        var sets = new JsonObject();
        foreach (var row in rows)
            sets[row.Set] = new JsonObject
            {
                ["corpus"] = row.Corpus,
                ["before_loss"] = row.Before.Loss, ["before_perplexity"] = row.Before.Perplexity,
                ["after_loss"] = row.After.Loss, ["after_perplexity"] = row.After.Perplexity,
                ["perplexity_change"] = row.PerplexityChange, ["masked_tokens"] = row.After.MaskedTokens,
            };
        json["held_out"] = sets;
        if (r.Forgetting.MixSchedule() is { } mix)
        {
            var micro = result.GlobalStep * r.Training.GradAccumulation;
            json["rehearsal"] = new JsonObject
            {
                ["rehearsal_share"] = r.Forgetting.RehearsalShare > 0 ? r.Forgetting.RehearsalShare : null,
                ["domain_per_period"] = mix.DomainPerPeriod, ["general_per_period"] = mix.GeneralPerPeriod,
                ["micro_batches"] = micro, ["general_batches"] = mix.CountsBefore(micro).General,
                ["realised_share"] = RealisedShare(mix, micro),
            };
        }
        if (electra is not null)
            json["electra"] = new JsonObject
            {
                ["generator_loss"] = electra.Generator.Loss, ["disc_accuracy"] = electra.DiscriminatorAccuracy,
                ["replaced_recall"] = electra.ReplacedRecall, ["replaced_fraction"] = electra.ReplacedFraction,
            };
        AtomicFile.WriteAllText(Path.Combine(run.Path, "forgetting.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        var report = new MarkdownReport()
            .Heading($"Pretraining run {Path.GetFileName(run.Path)}", 1)
            .Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"Objective {RecipeNames.EnumValue(r.Objective.Kind)}, {result.GlobalStep} updates in {result.TrainingTime.TotalSeconds:F0} s of training; " +
                $"model from {r.Model.Init ?? "scratch"}; training corpus {r.Data.Train}. The full recipe is recipe.yaml."));
        if (rows.Count > 0)
        {
            report.Heading("Forgetting report (masked-LM perplexity on held-out text, same masks before and after)")
                .Table(new[] { "held-out set", "corpus", "ppl before", "ppl after", "change", "loss before", "loss after", "masked tokens" },
                    rows.Select(row => (IReadOnlyList<object?>)new object?[]
                    {
                        row.Set, row.Corpus, row.Before.Perplexity.ToString("F2", CultureInfo.InvariantCulture),
                        row.After.Perplexity.ToString("F2", CultureInfo.InvariantCulture),
                        row.PerplexityChange.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture),
                        row.Before.Loss.ToString("F4", CultureInfo.InvariantCulture), row.After.Loss.ToString("F4", CultureInfo.InvariantCulture),
                        row.After.MaskedTokens,
                    }));
        }
        if (electra is not null)
            report.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"ELECTRA discriminator on the first held-out set: accuracy {electra.DiscriminatorAccuracy:P2} over all tokens, recall {electra.ReplacedRecall:P2} on the {electra.ReplacedFraction:P2} replaced tokens; generator MLM loss {electra.Generator.Loss:F4}."));
        report.Image("training loss", "plots/loss.png");
        run.WriteReport(report);
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
