using Acclimate.Data.Batching;
using Acclimate.Data.Corpora;
using Acclimate.Models;
using Acclimate.Training;

namespace Acclimate.Pretraining;

/// <summary>The pretraining objective a recipe asks for.</summary>
public enum PretrainingObjectiveKind
{
    /// <summary>Masked language modelling alone (BERT without NSP, RoBERTa).</summary>
    Mlm,
    /// <summary>MLM plus next-sentence prediction (original BERT; needs a BERT model with its pretraining heads).</summary>
    MlmNsp,
    /// <summary>MLM plus sentence-order prediction (ALBERT).</summary>
    MlmSop,
    /// <summary>ELECTRA replaced-token detection: generator MLM + λ·discriminator BCE.</summary>
    Electra,
}

/// <summary>The <c>run:</c> section of a pretraining recipe: where the run folder and the token cache live.</summary>
public sealed record PretrainingRunOptions : IValidatedOptions
{
    /// <summary>Run name; the folder is <c>output/name-yyyyMMdd-HHmmss</c> unless <see cref="Folder"/> is set.</summary>
    public string Name { get; init; } = "pretrain";
    /// <summary>Parent folder of run folders.</summary>
    public string Output { get; init; } = "runs";
    /// <summary>An exact run folder (created, or continued when resuming); wins over output/name.</summary>
    public string? Folder { get; init; }
    /// <summary>Root of the token caches (default: the Acclimate cache folder's <c>tokens</c>).</summary>
    public string? TokenCache { get; init; }
    /// <summary>A checkpoint folder (…/checkpoints/checkpoint-N) to resume from; the run folder is its run's.</summary>
    public string? ResumeFrom { get; init; }
    /// <summary>
    /// Stop once this many seconds were spent in training updates (0 = no limit), ending like a
    /// finished run. For equal-wall-clock comparisons; pair it with a constant schedule, since the
    /// schedule is laid out over max_steps.
    /// </summary>
    public double MaxTrainSeconds { get; init; }

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Name)) yield return "name must not be empty";
        if (string.IsNullOrWhiteSpace(Output)) yield return "output must not be empty";
        if (!(MaxTrainSeconds >= 0)) yield return $"max_train_seconds must be >= 0 (got {MaxTrainSeconds})";
    }
}

/// <summary>
/// The <c>model:</c> section: continue from an HF folder (<see cref="Init"/>) or build a fresh model
/// of the given shape (from-scratch pretraining) over the tokenizer in <see cref="Tokenizer"/>.
/// </summary>
public sealed record PretrainingModelOptions : IValidatedOptions
{
    /// <summary>HF model folder to continue from (DAPT/TAPT); null = from scratch.</summary>
    public string? Init { get; init; }
    /// <summary>Tokenizer folder; defaults to <see cref="Init"/>. Required from scratch.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>ELECTRA only: the generator folder to continue from (with <see cref="Init"/> as the discriminator).</summary>
    public string? GeneratorInit { get; init; }
    /// <summary>From scratch: bert, roberta, albert or electra.</summary>
    public ModelType Architecture { get; init; } = ModelType.Bert;
    /// <summary>From scratch: width of the hidden states.</summary>
    public int HiddenSize { get; init; } = 256;
    /// <summary>From scratch: transformer layers.</summary>
    public int NumLayers { get; init; } = 4;
    /// <summary>From scratch: attention heads (divides <see cref="HiddenSize"/>).</summary>
    public int NumHeads { get; init; } = 4;
    /// <summary>From scratch: feed-forward width.</summary>
    public int IntermediateSize { get; init; } = 1024;
    /// <summary>Factorized embedding width (ALBERT, ELECTRA); null = the architecture's default.</summary>
    public int? EmbeddingSize { get; init; }
    /// <summary>From scratch: position table rows.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>ELECTRA from scratch: generator width as a fraction of the discriminator's.</summary>
    public double GeneratorFraction { get; init; } = 0.25;
    /// <summary>
    /// Updates that train the MLM head alone (encoder and the tied word embeddings frozen) before the
    /// main phase: an encoder-only checkpoint (a sentence-embedding model, a BertModel folder) gets a
    /// fresh head, whose random gradients would otherwise flow into the pretrained encoder. 0 = none.
    /// </summary>
    public long HeadWarmupSteps { get; init; }
    /// <summary>Peak learning rate of the head warm-up (linear warm-up over its first 10 %, then linear decay).</summary>
    public double HeadWarmupLearningRate { get; init; } = 5e-4;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (Init is null && Tokenizer is null) yield return "from scratch (no init) a tokenizer folder is required";
        if (HiddenSize < 1 || NumLayers < 1 || NumHeads < 1 || IntermediateSize < 1) yield return "hidden_size, num_layers, num_heads and intermediate_size must be >= 1";
        if (NumHeads >= 1 && HiddenSize % NumHeads != 0) yield return $"hidden_size {HiddenSize} must be divisible by num_heads {NumHeads}";
        if (MaxPositionEmbeddings < 8) yield return $"max_position_embeddings must be >= 8 (got {MaxPositionEmbeddings})";
        if (!(GeneratorFraction > 0 && GeneratorFraction <= 1)) yield return $"generator_fraction must be in (0, 1] (got {GeneratorFraction})";
        if (GeneratorInit is not null && Init is null) yield return "generator_init needs init (the discriminator folder)";
        if (HeadWarmupSteps < 0) yield return $"head_warmup_steps must be >= 0 (got {HeadWarmupSteps})";
        if (!(HeadWarmupLearningRate > 0)) yield return $"head_warmup_learning_rate must be > 0 (got {HeadWarmupLearningRate})";
    }
}

/// <summary>The <c>objective:</c> section: which loss and how tokens are masked.</summary>
public sealed record PretrainingObjectiveOptions : IValidatedOptions
{
    /// <summary>MLM alone, MLM + NSP, MLM + SOP, or ELECTRA.</summary>
    public PretrainingObjectiveKind Kind { get; init; } = PretrainingObjectiveKind.Mlm;
    /// <summary>Share of tokens selected for prediction (BERT: 0.15).</summary>
    public double MaskProbability { get; init; } = 0.15;
    /// <summary>Share of selected positions replaced by the mask token (BERT: 0.8); the rest minus the random share stay unchanged.</summary>
    public double MaskTokenFraction { get; init; } = 0.8;
    /// <summary>Share of selected positions replaced by a random token (BERT: 0.1).</summary>
    public double RandomTokenFraction { get; init; } = 0.1;
    /// <summary>Dynamic (a fresh mask every time a block is seen, the default) or static (one mask per block).</summary>
    public MaskingMode Masking { get; init; } = MaskingMode.Dynamic;
    /// <summary>Mask whole words (WordPiece ##, BPE Ġ, SentencePiece ▁ word starts).</summary>
    public bool WholeWord { get; init; }
    /// <summary>λ of ELECTRA's gen + λ·disc.</summary>
    public double DiscriminatorWeight { get; init; } = ElectraPretrainingModel.DefaultDiscriminatorWeight;
    /// <summary>NSP: share of random-next pairs; SOP: share of swapped pairs.</summary>
    public double SentenceNegativeProbability { get; init; } = 0.5;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (!(MaskProbability > 0 && MaskProbability <= 1)) yield return $"mask_probability must be in (0, 1] (got {MaskProbability})";
        if (!(MaskTokenFraction >= 0 && RandomTokenFraction >= 0 && MaskTokenFraction + RandomTokenFraction <= 1 + 1e-12))
            yield return $"mask_token_fraction {MaskTokenFraction} and random_token_fraction {RandomTokenFraction} must be >= 0 and sum to at most 1";
        if (!(DiscriminatorWeight >= 0) || double.IsInfinity(DiscriminatorWeight)) yield return $"discriminator_weight must be >= 0 (got {DiscriminatorWeight})";
        if (!(SentenceNegativeProbability >= 0 && SentenceNegativeProbability <= 1)) yield return $"sentence_negative_probability must be in [0, 1] (got {SentenceNegativeProbability})";
    }

    /// <summary>The collator's masking options.</summary>
    /// <param name="staticSeed">Seed of the one-time masks when masking is static.</param>
    public MlmMaskingOptions ToMasking(long staticSeed) => new()
    {
        MaskProbability = MaskProbability,
        MaskTokenFraction = MaskTokenFraction,
        RandomTokenFraction = RandomTokenFraction,
        Mode = Masking,
        StaticSeed = staticSeed,
    };
}

/// <summary>The <c>data:</c> section: the (domain) training corpus, its held-out part, and how text becomes blocks.</summary>
public sealed record PretrainingDataOptions : IValidatedOptions
{
    /// <summary>Training corpus: a file or folder of text / JSONL, optionally .gz.</summary>
    public string? Train { get; init; }
    /// <summary>Held-out corpus of the same domain (evaluation and the forgetting report).</summary>
    public string? Eval { get; init; }
    /// <summary>Plain text: line (one document per line), blank_line, or file.</summary>
    public DocumentMode Mode { get; init; } = DocumentMode.Line;
    /// <summary>text, jsonl or auto (by extension).</summary>
    public CorpusFormat Format { get; init; } = CorpusFormat.Auto;
    /// <summary>JSONL: the field holding the text.</summary>
    public string TextField { get; init; } = "text";
    /// <summary>Longest accepted line in characters (longer is an error naming the line).</summary>
    public int MaxLineChars { get; init; } = TextLineReader.DefaultMaxLineChars;
    /// <summary>Tokens per sequence, [CLS] and [SEP] included.</summary>
    public int BlockSize { get; init; } = 128;
    /// <summary>packed (documents joined with [SEP] and cut into full blocks) or line_by_line.</summary>
    public BlockMode BlockMode { get; init; } = BlockMode.Packed;
    /// <summary>At most this many held-out blocks are scored per evaluation (0 = all).</summary>
    public int EvalMaxBlocks { get; init; } = 512;
    /// <summary>Held-out batch size.</summary>
    public int EvalBatchSize { get; init; } = 32;
    /// <summary>Tokenizer threads for building the token cache (0 = all cores).</summary>
    public int TokenizeThreads { get; init; }
    /// <summary>
    /// Chinese whole-word masking (HF run_mlm_wwm's <c>train_ref_file</c>): one JSON array per
    /// non-blank line of <see cref="Train"/>, the positions (special tokens counted) of the
    /// characters that continue a word. Needs block_mode line_by_line and objective.whole_word.
    /// </summary>
    public string? WholeWordReference { get; init; }

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Train)) yield return "train must name a corpus file or folder";
        if (MaxLineChars < 1) yield return $"max_line_chars must be >= 1 (got {MaxLineChars})";
        if (string.IsNullOrEmpty(TextField)) yield return "text_field must not be empty";
        if (BlockSize < 8) yield return $"block_size must be >= 8 (got {BlockSize})";
        if (EvalMaxBlocks < 0) yield return $"eval_max_blocks must be >= 0 (got {EvalMaxBlocks})";
        if (EvalBatchSize < 1) yield return $"eval_batch_size must be >= 1 (got {EvalBatchSize})";
        if (TokenizeThreads < 0) yield return $"tokenize_threads must be >= 0 (got {TokenizeThreads})";
        if (WholeWordReference is not null && BlockMode != BlockMode.LineByLine)
            yield return "whole_word_reference gives positions per line, so it needs block_mode line_by_line (one sequence per line, as HF's run_mlm_wwm)";
        if (WholeWordReference is not null && Mode != DocumentMode.Line)
            yield return "whole_word_reference gives positions per line, so it needs mode line (one document per line)";
    }

    /// <summary>The corpus reading options of this section.</summary>
    public CorpusOptions ToCorpusOptions() => new() { Mode = Mode, Format = Format, TextField = TextField, MaxLineChars = MaxLineChars };
}

/// <summary>
/// The <c>general:</c> section: general-domain text for the forgetting report (<see cref="Eval"/>)
/// and for forgetting control (<see cref="Train"/>: rehearsal batches and EWC's Fisher). Read with
/// the <c>data:</c> section's reading options.
/// </summary>
public sealed record PretrainingGeneralOptions
{
    /// <summary>General-domain training text (rehearsal batches, EWC's Fisher).</summary>
    public string? Train { get; init; }
    /// <summary>General-domain held-out text (the forgetting report's "before/after" perplexity).</summary>
    public string? Eval { get; init; }
}

/// <summary>
/// The <c>forgetting:</c> section: rehearsal, L2-SP and EWC. A run turns it into its list of forgetting
/// controls in one place (<c>Pretraining/Forgetting/ForgettingControls.From</c>).
/// </summary>
public sealed record PretrainingForgettingOptions : IValidatedOptions
{
    /// <summary>Rehearsal by mixing: domain batches per period (with <see cref="RehearsalGeneral"/>).</summary>
    public int RehearsalDomain { get; init; } = 4;
    /// <summary>Rehearsal by mixing: general batches per period; 0 = no mixing.</summary>
    public int RehearsalGeneral { get; init; }
    /// <summary>
    /// Rehearsal by mixing, given as the share of micro-batches (hence of tokens, blocks being packed
    /// to <c>block_size</c>) drawn from <c>general.train</c>: 0 &lt; share ≤ 0.5, e.g. 0.05; 0 = off.
    /// An alternative to <see cref="RehearsalGeneral"/> and <see cref="RehearsalWeight"/>
    /// (see <see cref="Continual.RehearsalSchedule.FromShare"/> for the exact interleaving).
    /// </summary>
    public double RehearsalShare { get; init; }
    /// <summary>Rehearsal by loss weight α: every micro-batch adds α·(MLM loss of a general batch); 0 = off.</summary>
    public double RehearsalWeight { get; init; }
    /// <summary>L2-SP λ in λ·‖θ − θ₀‖² (0 = off).</summary>
    public double L2sp { get; init; }
    /// <summary>EWC λ in (λ/2)·Σ F·(θ − θ*)² (0 = off).</summary>
    public double Ewc { get; init; }
    /// <summary>General batches the diagonal Fisher is averaged over.</summary>
    public int EwcFisherBatches { get; init; } = 32;
    /// <summary>Fisher file: reused when it exists, else estimated and written there (default: fisher.safetensors in the run folder).</summary>
    public string? EwcFisherFile { get; init; }

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (RehearsalDomain < 1) yield return $"rehearsal_domain must be >= 1 (got {RehearsalDomain})";
        if (RehearsalGeneral < 0) yield return $"rehearsal_general must be >= 0 (got {RehearsalGeneral})";
        if (!(RehearsalWeight >= 0) || double.IsInfinity(RehearsalWeight)) yield return $"rehearsal_weight must be >= 0 (got {RehearsalWeight})";
        if (RehearsalGeneral > 0 && RehearsalWeight > 0) yield return "choose one rehearsal form: rehearsal_general (mixing) or rehearsal_weight (loss weight), not both";
        if (RehearsalShare != 0 && !(RehearsalShare > 0 && RehearsalShare <= 0.5))
            yield return $"rehearsal_share must be in (0, 0.5], a share of batches such as 0.05 (got {RehearsalShare})";
        if (RehearsalShare != 0 && RehearsalGeneral > 0)
            yield return "choose one rehearsal form: rehearsal_share or rehearsal_general (a domain:general ratio), not both";
        if (RehearsalShare != 0 && RehearsalWeight > 0)
            yield return "choose one rehearsal form: rehearsal_share (mixing) or rehearsal_weight (loss weight), not both";
        if (!(L2sp >= 0) || double.IsInfinity(L2sp)) yield return $"l2sp must be >= 0 (got {L2sp})";
        if (!(Ewc >= 0) || double.IsInfinity(Ewc)) yield return $"ewc must be >= 0 (got {Ewc})";
        if (EwcFisherBatches < 1) yield return $"ewc_fisher_batches must be >= 1 (got {EwcFisherBatches})";
    }

    /// <summary>
    /// The mixing schedule the run uses: from <see cref="RehearsalShare"/>, else from
    /// <see cref="RehearsalDomain"/> : <see cref="RehearsalGeneral"/>, else null (no mixing).
    /// </summary>
    public Continual.RehearsalSchedule? MixSchedule() =>
        RehearsalShare > 0 ? Continual.RehearsalSchedule.FromShare(RehearsalShare)
        : RehearsalGeneral > 0 ? new Continual.RehearsalSchedule(RehearsalDomain, RehearsalGeneral) : null;
}

/// <summary>A whole pretraining recipe: each property is a section of the YAML file (<see cref="Recipe.Bind{T}"/>).</summary>
public sealed record PretrainingRecipe
{
    /// <summary>The recipe's top-level section names (its properties, in order); any other section is an error.</summary>
    public static IReadOnlyList<string> SectionNames { get; } = Recipe.SectionNamesOf<PretrainingRecipe>();

    /// <c>run:</c> folders, resume, time limit.
    public PretrainingRunOptions Run { get; init; } = new();
    /// <c>model:</c> the model to continue from or its fresh shape.
    public PretrainingModelOptions Model { get; init; } = new();
    /// <c>objective:</c> the loss and the masking.
    public PretrainingObjectiveOptions Objective { get; init; } = new();
    /// <c>data:</c> the domain corpus and its blocks.
    public PretrainingDataOptions Data { get; init; } = new();
    /// <c>general:</c> general-domain text.
    public PretrainingGeneralOptions General { get; init; } = new();
    /// <c>forgetting:</c> rehearsal, L2-SP, EWC.
    public PretrainingForgettingOptions Forgetting { get; init; } = new();
    /// <c>training:</c> optimizer, schedule, steps, evaluation and checkpoints.
    public TrainingOptions Training { get; init; } = new();
    /// <c>lora:</c> LoRA adapters instead of full training (off unless lora.rank is set).
    public LoraOptions Lora { get; init; } = new();

    /// <summary>Binds every section of <paramref name="recipe"/>; unknown sections and keys fail naming file:line:col.</summary>
    public static PretrainingRecipe From(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        return recipe.Bind<PretrainingRecipe>();
    }
}
