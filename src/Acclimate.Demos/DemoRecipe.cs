using Acclimate.Errors;
using Acclimate.Pretraining;
using Acclimate.Training;

namespace Acclimate.Demos;

/// <summary><c>data:</c> of the demo recipe: which Brown genre is the domain, how many documents are held out.</summary>
public sealed record DemoDataOptions : IValidatedOptions
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
public sealed record DemoVocabularyOptions : IValidatedOptions
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
public sealed record DemoModelOptions : IValidatedOptions
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

/// <summary>
/// <c>pretrain:</c>, <c>dapt:</c> (and the adaptation demo's <c>warmup:</c>): one MLM stage. Its
/// <c>training:</c> is a real <see cref="TrainingOptions"/> section, the one a pretraining recipe
/// has; keys it does not give keep the defaults below. Seed, threads and device come from the demo's
/// <c>--seed</c>, <c>--threads</c> and <c>--device</c>; the stage checkpoints once, at the end.
/// </summary>
public record DemoStageOptions : IValidatedOptions
{
    /// <summary>The stage's <c>training:</c> section (defaults: 300 updates of 16 blocks, learning rate 1e-3, 6 % warm-up, a log line every 25).</summary>
    public TrainingOptions Training { get; init; } = new() { MaxSteps = 300, LearningRate = 1e-3, WarmupRatio = 0.06, LogEvery = 25 };

    /// <summary>At most this many blocks of each held-out set are scored.</summary>
    public int EvalMaxBlocks { get; init; } = 256;

    /// <summary>The <c>training:</c> section of the stage's pretraining recipe (one checkpoint, at the end).</summary>
    public TrainingOptions TrainingFor(int seed, int threads, string device) =>
        Training with { SaveEvery = Training.MaxSteps, KeepLast = 1, Seed = seed, Threads = threads, Device = device };

    public virtual IEnumerable<string> Problems()
    {
        if (Training.MaxSteps <= 0) yield return "training.max_steps must be positive (a demo stage runs a fixed number of updates)";
        foreach (var p in DemoTraining.SetByTheDemo(Training)) yield return p;
        if (EvalMaxBlocks <= 0) yield return "eval_max_blocks must be positive";
    }
}

/// <summary>Checks shared by the demos' embedded <c>training:</c> sections.</summary>
internal static class DemoTraining
{
    private static readonly TrainingOptions Defaults = new();

    /// <summary>Problems for keys the demo sets itself (from its command line), so a recipe value would be ignored.</summary>
    public static IEnumerable<string> SetByTheDemo(TrainingOptions training, string seedFrom = "the demo's --seed option")
    {
        if (training.Seed != Defaults.Seed) yield return $"training.seed is set by {seedFrom}; remove it";
        if (training.Threads != Defaults.Threads) yield return "training.threads is set by the demo's --threads option; remove it";
        if (training.Device != Defaults.Device) yield return "training.device is set by the demo's --device option; remove it";
    }
}

/// <summary>Names and describes the forgetting control of the demos' second DAPT run (the recipe's real <c>forgetting:</c> section).</summary>
internal static class DemoForgetting
{
    /// <summary>
    /// Fails when <paramref name="forgetting"/> turns no control on (the demo compares plain DAPT with
    /// DAPT + a control), naming the recipe.
    /// </summary>
    public static void RequireAControl(PretrainingForgettingOptions forgetting, string source)
    {
        if (Name(forgetting).Length == 0)
            throw new ConfigException($"{source}: 'forgetting' turns no control on, but the demo's second DAPT run needs one: set rehearsal_general (with rehearsal_domain), rehearsal_share, rehearsal_weight, l2sp or ewc.");
    }

    /// <summary>rehearsal, ewc, l2sp (joined with '+' when several): the stage and folder name of the controlled DAPT run.</summary>
    public static string Name(PretrainingForgettingOptions f) => string.Join("+", new[]
    {
        f.RehearsalGeneral > 0 || f.RehearsalShare > 0 || f.RehearsalWeight > 0 ? "rehearsal" : null,
        f.L2sp > 0 ? "l2sp" : null,
        f.Ewc > 0 ? "ewc" : null,
    }.Where(n => n is not null));

    /// <summary>The control in words, for the report.</summary>
    public static string Description(PretrainingForgettingOptions f)
    {
        var parts = new List<string>();
        if (f.RehearsalShare > 0) parts.Add($"rehearsal ({DemoFormat.F(f.RehearsalShare)} of the batches general)");
        else if (f.RehearsalGeneral > 0) parts.Add($"rehearsal ({f.RehearsalGeneral} general batch in every {f.RehearsalDomain + f.RehearsalGeneral})");
        if (f.RehearsalWeight > 0) parts.Add($"rehearsal by loss weight (α = {DemoFormat.F(f.RehearsalWeight)})");
        if (f.L2sp > 0) parts.Add($"L2-SP (λ = {DemoFormat.F(f.L2sp)})");
        if (f.Ewc > 0) parts.Add($"EWC (λ = {DemoFormat.F(f.Ewc)}, Fisher from {f.EwcFisherBatches} general batches)");
        return string.Join(" + ", parts);
    }

    /// <summary>The recipe key the demos used to pick a control, and what replaces it.</summary>
    public static void RejectRetiredKeys(Recipe recipe) =>
        recipe.RejectRetiredKey("forgetting.control",
            "the demos' forgetting: section is now the pretraining recipe's; turn the control on by its own keys (rehearsal: rehearsal_domain + rehearsal_general; EWC: ewc + ewc_fisher_batches)");
}

/// <summary><c>finetune:</c> the POS tagger trained from each pretrained model.</summary>
public sealed record DemoFinetuneOptions : IValidatedOptions
{
    /// <summary>Which pretrained models to fine-tune: general, dapt, dapt-control.</summary>
    public IReadOnlyList<string> Encoders { get; init; } = new[] { "general", "dapt" };

    /// <summary>The tagger's <c>training:</c> section (defaults: 3 epochs of 16 sentences, learning rate 5e-4, 10 % warm-up, best epoch by dev accuracy).</summary>
    public TrainingOptions Training { get; init; } = new()
    {
        Epochs = 3, BatchSize = 16, LearningRate = 5e-4, WarmupRatio = 0.1, LogEvery = 50, MetricForBest = "accuracy", GreaterIsBetter = true,
    };

    public double HeadLearningRate { get; init; } = 1e-3;
    public int MaxLength { get; init; } = 64;
    public int Stride { get; init; } = 16;

    /// <summary>Sentences drawn (seeded) from the general training documents (0: all).</summary>
    public int MaxTrain { get; init; } = 3000;

    /// <summary>Sentences drawn from the general held-out documents (dev picks the best epoch).</summary>
    public int MaxDev { get; init; } = 600;

    /// <summary>Sentences drawn from the domain held-out documents (test).</summary>
    public int MaxTest { get; init; } = 800;

    public static readonly string[] KnownEncoders = { "general", "dapt", "dapt-control" };

    /// <summary>The fine-tuning recipe's <c>training:</c> section.</summary>
    public TrainingOptions TrainingFor(int seed, int threads, string device) => Training with { Seed = seed, Threads = threads, Device = device };

    public IEnumerable<string> Problems()
    {
        if (Encoders.Count == 0) yield return "encoders must name at least one of general, dapt, dapt-control";
        foreach (var e in Encoders)
            if (!KnownEncoders.Contains(e, StringComparer.Ordinal)) yield return $"encoders: '{e}' is not one of general, dapt, dapt-control";
        foreach (var p in DemoTraining.SetByTheDemo(Training)) yield return p;
        if (!(HeadLearningRate > 0)) yield return "head_learning_rate must be positive";
        if (MaxLength < 16) yield return "max_length must be at least 16";
        if (Stride < 0 || Stride >= MaxLength) yield return "stride must be in [0, max_length)";
        if (MaxTrain < 0 || MaxDev < 0 || MaxTest < 0) yield return "max_train, max_dev and max_test must be >= 0";
    }
}

/// <summary>
/// The from-scratch demo recipe (<c>recipes/demo-scratch.yaml</c>); each property is a section, bound
/// by the one recipe binder (<see cref="Recipe.Bind{T}"/>), so the section list is this record's.
/// </summary>
public sealed record DemoRecipe
{
    public DemoDataOptions Data { get; init; } = new();
    public DemoVocabularyOptions Vocabulary { get; init; } = new();
    public DemoModelOptions Model { get; init; } = new();
    /// <summary>MLM on the general text, from scratch.</summary>
    public DemoStageOptions Pretrain { get; init; } = new();
    /// <summary>DAPT on the domain genre (plain, and with the forgetting control).</summary>
    public DemoStageOptions Dapt { get; init; } = new();
    /// <summary>
    /// The controlled DAPT run's <c>forgetting:</c> section (the pretraining recipe's own); must turn a
    /// control on. Without the section: rehearsal, 4 domain batches : 1 general batch.
    /// </summary>
    public PretrainingForgettingOptions Forgetting { get; init; } = new() { RehearsalDomain = 4, RehearsalGeneral = 1 };
    public DemoFinetuneOptions Finetune { get; init; } = new();

    /// <summary>The recipe's top-level sections.</summary>
    public static IReadOnlyList<string> SectionNames { get; } = Recipe.SectionNamesOf<DemoRecipe>();

    /// <summary>Binds every section (unknown sections or keys fail naming the file and line; a key of the old layout says where it moved).</summary>
    public static DemoRecipe From(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        DemoForgetting.RejectRetiredKeys(recipe);
        var bound = recipe.Bind<DemoRecipe>();
        DemoForgetting.RequireAControl(bound.Forgetting, recipe.Source);
        return bound;
    }
}
