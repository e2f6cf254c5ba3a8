using Acclimate.Pretraining;
using Acclimate.Training;

namespace Acclimate.Demos;

/// <summary><c>encoder:</c> the pretrained encoder the demo adapts (a name from <c>acclimate model list</c>).</summary>
public sealed record AdaptationDemoEncoderOptions : IValidatedOptions
{
    public string Name { get; init; } = "all-MiniLM-L6-v2";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Name)) yield return "name must name a catalog encoder (acclimate model list)";
    }
}

/// <summary><c>data:</c> the task data and the unlabeled domain text.</summary>
public sealed record AdaptationDemoDataOptions : IValidatedOptions
{
    /// <summary>Folder with NCBI-disease train/dev/test.conll; relative paths are resolved against the checkout (default: the bundled copy).</summary>
    public string Ncbi { get; init; } = "data/ncbi-disease";

    /// <summary>The first N training sentences train the tagger; the rest (labels dropped) are the domain text.</summary>
    public int FinetuneSentences { get; init; } = 1000;

    /// <summary>Of the domain text, the last N sentences are held out for perplexity.</summary>
    public int DomainEvalSentences { get; init; } = 400;

    /// <summary>Optional one-document-per-line corpus used as the domain text instead of the rest of NCBI's training sentences.</summary>
    public string DomainText { get; init; } = "";

    /// <summary>Brown documents held out on the general side (hash of the document id), as in <c>data split-brown</c>.</summary>
    public double BrownHeldOut { get; init; } = 0.1;

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Ncbi)) yield return "ncbi must name a folder with train.conll, dev.conll and test.conll";
        if (FinetuneSentences < 16) yield return $"finetune_sentences must be at least 16 (got {FinetuneSentences})";
        if (DomainEvalSentences < 8) yield return $"domain_eval_sentences must be at least 8 (got {DomainEvalSentences})";
        if (!(BrownHeldOut > 0 && BrownHeldOut < 0.5)) yield return $"brown_held_out must be in (0, 0.5) (got {BrownHeldOut})";
    }
}

/// <summary><c>warmup:</c> the new MLM head fitted on general text (head alone, then a few joint updates).</summary>
public sealed record AdaptationDemoWarmupOptions : DemoStageOptions
{
    /// <summary>Updates of the MLM head alone, encoder frozen.</summary>
    public long HeadSteps { get; init; } = 100;

    public double HeadLearningRate { get; init; } = 5e-4;

    public override IEnumerable<string> Problems()
    {
        foreach (var p in base.Problems()) yield return p;
        if (HeadSteps < 0) yield return $"head_steps must be >= 0 (got {HeadSteps})";
        if (!(HeadLearningRate > 0)) yield return "head_learning_rate must be positive";
    }
}

/// <summary><c>finetune:</c> the NER taggers trained from the base and the DAPT encoder, same seeds.</summary>
public sealed record AdaptationDemoFinetuneOptions : IValidatedOptions
{
    /// <summary>Which encoders get a tagger: base, dapt, dapt-control.</summary>
    public IReadOnlyList<string> Encoders { get; init; } = new[] { "base", "dapt" };

    /// <summary>Fine-tuning seeds; every encoder is tuned with each, so the tests can pair them.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = new[] { 1, 2 };

    /// <summary>The taggers' <c>training:</c> section (defaults: 3 epochs of 16 sentences, learning rate 5e-5, 10 % warm-up, best epoch by dev F1); the seed comes from <see cref="Seeds"/>.</summary>
    public TrainingOptions Training { get; init; } = new()
    {
        Epochs = 3, BatchSize = 16, LearningRate = 5e-5, WarmupRatio = 0.1, ClipNorm = 1.0, LogEvery = 50, MetricForBest = "f1", GreaterIsBetter = true,
    };

    public double HeadLearningRate { get; init; } = 1e-3;
    public double CrfLearningRate { get; init; } = 1e-2;
    public bool Crf { get; init; } = true;
    public int MaxLength { get; init; } = 64;
    public int Stride { get; init; } = 16;

    /// <summary>Dev sentences that pick the best epoch (0: all 923).</summary>
    public int MaxDev { get; init; }

    /// <summary>Test sentences (0: all 940).</summary>
    public int MaxTest { get; init; }

    /// <summary>Test sentences shown where the base and the DAPT tagger disagree.</summary>
    public int Examples { get; init; } = 5;

    public static readonly string[] KnownEncoders = { "base", "dapt", "dapt-control" };

    /// <summary>The fine-tuning recipe's <c>training:</c> section for one seed.</summary>
    public TrainingOptions TrainingFor(int seed, int threads, string device) => Training with { Seed = seed, Threads = threads, Device = device };

    public IEnumerable<string> Problems()
    {
        if (Encoders.Count == 0) yield return "encoders must name at least one of base, dapt, dapt-control";
        foreach (var e in Encoders)
            if (!KnownEncoders.Contains(e, StringComparer.Ordinal)) yield return $"encoders: '{e}' is not one of base, dapt, dapt-control";
        if (Seeds.Count == 0) yield return "seeds must list at least one seed";
        if (Seeds.Distinct().Count() != Seeds.Count) yield return "seeds must not repeat";
        foreach (var p in DemoTraining.SetByTheDemo(Training, seedFrom: "finetune.seeds")) yield return p;
        if (!(HeadLearningRate > 0) || !(CrfLearningRate > 0)) yield return "head_learning_rate and crf_learning_rate must be positive";
        if (MaxLength < 16) yield return "max_length must be at least 16";
        if (Stride < 0 || Stride >= MaxLength) yield return "stride must be in [0, max_length)";
        if (MaxDev < 0 || MaxTest < 0) yield return "max_dev and max_test must be >= 0";
        if (Examples < 0) yield return "examples must be >= 0";
    }
}

/// <summary>
/// The real-encoder demo recipe (<c>recipes/demo.yaml</c>); each property is a section, bound by the
/// one recipe binder (<see cref="Recipe.Bind{T}"/>), so the section list is this record's.
/// </summary>
public sealed record AdaptationDemoRecipe
{
    public AdaptationDemoEncoderOptions Encoder { get; init; } = new();
    public AdaptationDemoDataOptions Data { get; init; } = new();
    public AdaptationDemoWarmupOptions Warmup { get; init; } = new();
    /// <summary>DAPT on the biomedical text (plain, and with the forgetting control).</summary>
    public DemoStageOptions Dapt { get; init; } = new();
    /// <summary>
    /// The controlled DAPT run's <c>forgetting:</c> section (the pretraining recipe's own); must turn a
    /// control on. Without the section: rehearsal, 4 domain batches : 1 general batch.
    /// </summary>
    public PretrainingForgettingOptions Forgetting { get; init; } = new() { RehearsalDomain = 4, RehearsalGeneral = 1 };
    public AdaptationDemoFinetuneOptions Finetune { get; init; } = new();

    /// <summary>The recipe's top-level sections.</summary>
    public static IReadOnlyList<string> SectionNames { get; } = Recipe.SectionNamesOf<AdaptationDemoRecipe>();

    /// <summary>Binds every section (unknown sections or keys fail naming the file and line; a key of the old layout says where it moved).</summary>
    public static AdaptationDemoRecipe From(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        DemoForgetting.RejectRetiredKeys(recipe);
        var bound = recipe.Bind<AdaptationDemoRecipe>();
        DemoForgetting.RequireAControl(bound.Forgetting, recipe.Source);
        return bound;
    }
}
