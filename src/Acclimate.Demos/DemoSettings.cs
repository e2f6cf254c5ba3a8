using Acclimate.Pretraining;
using Acclimate.Training;

namespace Acclimate.Demos;

/// <summary><c>data:</c> of the demo recipe: which Brown genre is the domain, how many documents are held out.</summary>
public sealed record DemoDataSettings : IValidatedOptions
{
    /// <summary>The domain genre (DAPT text, POS test set); the other 14 genres are the general text.</summary>
    public string DomainGenre { get; init; } = "learned";

    /// <summary>Fraction of documents of each side held out (hash of the document id, fixed salt).</summary>
    public double HeldOut { get; init; } = 0.1;

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(DomainGenre)) yield return "domain_genre must name a Brown genre";
        if (!(HeldOut > 0 && HeldOut < 0.5)) yield return $"held_out must be in (0, 0.5) (got {HeldOut})";
    }
}

/// <summary><c>vocabulary:</c> the WordPiece vocabulary trained on the general training text.</summary>
public sealed record DemoVocabularySettings : IValidatedOptions
{
    public int Size { get; init; } = 8000;
    public bool Lowercase { get; init; } = true;
    public long MinFrequency { get; init; } = 2;

    public IEnumerable<string> Problems()
    {
        if (Size < 200) yield return $"size must be at least 200 (got {Size})";
        if (MinFrequency < 1) yield return "min_frequency must be >= 1";
    }
}

/// <summary><c>model:</c> the BERT pretrained from scratch.</summary>
public sealed record DemoModelSettings : IValidatedOptions
{
    public int HiddenSize { get; init; } = 256;
    public int NumLayers { get; init; } = 4;
    public int NumHeads { get; init; } = 4;
    public int IntermediateSize { get; init; } = 1024;

    /// <summary>Packed block length for pretraining (also max_position_embeddings).</summary>
    public int BlockSize { get; init; } = 128;

    public IEnumerable<string> Problems()
    {
        if (HiddenSize <= 0 || NumLayers <= 0 || NumHeads <= 0 || IntermediateSize <= 0) yield return "sizes must be positive";
        else if (HiddenSize % NumHeads != 0) yield return $"hidden_size {HiddenSize} must be a multiple of num_heads {NumHeads}";
        if (BlockSize < 16) yield return "block_size must be at least 16";
    }
}

/// <summary><c>pretrain:</c> and <c>dapt:</c>: MLM training of one stage.</summary>
public record DemoPretrainSettings : IValidatedOptions
{
    public long MaxSteps { get; init; } = 300;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 1e-3;
    public double WarmupRatio { get; init; } = 0.06;
    public long LogEvery { get; init; } = 25;

    /// <summary>Held-out MLM evaluation every N updates (0: only before and after).</summary>
    public long EvalEvery { get; init; }

    /// <summary>At most this many blocks of each held-out set are scored.</summary>
    public int EvalMaxBlocks { get; init; } = 256;

    /// <summary>fp32, or bf16 mixed precision for the encoder's matrix products.</summary>
    public Runtime.ComputePrecision Precision { get; init; } = Runtime.ComputePrecision.Fp32;

    /// <summary>The <c>training:</c> section of a stage recipe with these settings (one checkpoint, at the end).</summary>
    public TrainingOptions Training(int seed, int threads, string device) => new()
    {
        MaxSteps = MaxSteps,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        WarmupRatio = WarmupRatio,
        Schedule = ScheduleKind.Linear,
        WeightDecay = 0.01,
        LogEvery = LogEvery,
        EvalEvery = EvalEvery,
        SaveEvery = MaxSteps,
        KeepLast = 1,
        Precision = Precision,
        Threads = threads,
        Device = device,
        Seed = seed,
    };

    public virtual IEnumerable<string> Problems()
    {
        if (MaxSteps <= 0) yield return "max_steps must be positive";
        if (BatchSize <= 0) yield return "batch_size must be positive";
        if (!(LearningRate > 0)) yield return "learning_rate must be positive";
        if (LogEvery <= 0) yield return "log_every must be positive";
        if (EvalMaxBlocks <= 0) yield return "eval_max_blocks must be positive";
    }
}

/// <summary>The forgetting control used beside plain DAPT.</summary>
public enum DemoForgettingControl
{
    /// <summary>Mix general batches into DAPT (rehearsal_domain : rehearsal_general).</summary>
    Rehearsal,

    /// <summary>Elastic weight consolidation anchored at the general model (Fisher from general batches).</summary>
    Ewc,
}

/// <summary><c>forgetting:</c> which control the second DAPT run uses.</summary>
public sealed record DemoForgettingSettings : IValidatedOptions
{
    public DemoForgettingControl Control { get; init; } = DemoForgettingControl.Rehearsal;
    public int RehearsalDomain { get; init; } = 4;
    public int RehearsalGeneral { get; init; } = 1;
    public double Ewc { get; init; } = 1e5;
    public int EwcFisherBatches { get; init; } = 16;

    /// <summary>rehearsal or ewc: the stage and folder name of the controlled DAPT run.</summary>
    public string Name => Control == DemoForgettingControl.Rehearsal ? "rehearsal" : "ewc";

    /// <summary>The control in words, for the report.</summary>
    public string Description => Control == DemoForgettingControl.Rehearsal
        ? $"rehearsal ({RehearsalGeneral} general batch in every {RehearsalDomain + RehearsalGeneral})"
        : $"EWC (λ = {DemoFormat.F(Ewc)}, Fisher from {EwcFisherBatches} general batches)";

    /// <summary>The <c>forgetting:</c> section of the controlled DAPT recipe.</summary>
    public PretrainingForgettingSection RecipeSection => Control == DemoForgettingControl.Rehearsal
        ? new PretrainingForgettingSection { RehearsalDomain = RehearsalDomain, RehearsalGeneral = RehearsalGeneral }
        : new PretrainingForgettingSection { Ewc = Ewc, EwcFisherBatches = EwcFisherBatches };

    public IEnumerable<string> Problems()
    {
        if (RehearsalDomain <= 0 || RehearsalGeneral <= 0) yield return "rehearsal_domain and rehearsal_general must be positive";
        if (!(Ewc > 0)) yield return "ewc must be positive";
        if (EwcFisherBatches <= 0) yield return "ewc_fisher_batches must be positive";
    }
}

/// <summary><c>finetune:</c> the POS tagger trained from each pretrained model.</summary>
public sealed record DemoFinetuneSettings : IValidatedOptions
{
    /// <summary>Which pretrained models to fine-tune: general, dapt, dapt-control.</summary>
    public IReadOnlyList<string> Encoders { get; init; } = new[] { "general", "dapt" };

    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 5e-4;
    public double HeadLearningRate { get; init; } = 1e-3;
    public int MaxLength { get; init; } = 64;
    public int Stride { get; init; } = 16;

    /// <summary>Sentences drawn (seeded) from the general training documents (0: all).</summary>
    public int MaxTrain { get; init; } = 3000;

    /// <summary>Sentences drawn from the general held-out documents (dev picks the best epoch).</summary>
    public int MaxDev { get; init; } = 600;

    /// <summary>Sentences drawn from the domain held-out documents (test).</summary>
    public int MaxTest { get; init; } = 800;

    public long LogEvery { get; init; } = 50;

    public static readonly string[] KnownEncoders = { "general", "dapt", "dapt-control" };

    public IEnumerable<string> Problems()
    {
        if (Encoders.Count == 0) yield return "encoders must name at least one of general, dapt, dapt-control";
        foreach (var e in Encoders)
            if (!KnownEncoders.Contains(e, StringComparer.Ordinal)) yield return $"encoders: '{e}' is not one of general, dapt, dapt-control";
        if (Epochs <= 0 || BatchSize <= 0) yield return "epochs and batch_size must be positive";
        if (!(LearningRate > 0) || !(HeadLearningRate > 0)) yield return "learning rates must be positive";
        if (MaxLength < 16) yield return "max_length must be at least 16";
        if (Stride < 0 || Stride >= MaxLength) yield return "stride must be in [0, max_length)";
        if (MaxTrain < 0 || MaxDev < 0 || MaxTest < 0) yield return "max_train, max_dev and max_test must be >= 0";
        if (LogEvery <= 0) yield return "log_every must be positive";
    }
}

/// <summary>The demo recipe (<c>recipes/demo.yaml</c>), section by section.</summary>
public sealed record DemoSettings(
    DemoDataSettings Data,
    DemoVocabularySettings Vocabulary,
    DemoModelSettings Model,
    DemoPretrainSettings Pretrain,
    DemoPretrainSettings Dapt,
    DemoForgettingSettings Forgetting,
    DemoFinetuneSettings Finetune)
{
    public static readonly string[] SectionNames = { "data", "vocabulary", "model", "pretrain", "dapt", "forgetting", "finetune" };

    /// <summary>Binds every section (unknown sections or keys fail naming the file and line).</summary>
    public static DemoSettings From(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        recipe.RequireOnlySections(SectionNames);
        return new DemoSettings(
            recipe.Section<DemoDataSettings>("data"),
            recipe.Section<DemoVocabularySettings>("vocabulary"),
            recipe.Section<DemoModelSettings>("model"),
            recipe.Section<DemoPretrainSettings>("pretrain"),
            recipe.Section<DemoPretrainSettings>("dapt"),
            recipe.Section<DemoForgettingSettings>("forgetting"),
            recipe.Section<DemoFinetuneSettings>("finetune"));
    }
}
