using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// ELECTRA replaced-token-detection pretraining: a small MLM generator (ElectraForMaskedLM)
/// fills the masked positions with tokens sampled from its softmax, and the discriminator
/// (ElectraForPreTraining) learns which tokens were replaced. Loss = generator MLM +
/// λ·discriminator BCE (λ = 50, the paper's).
/// </summary>
/// <remarks>
/// <para>Embeddings are shared as in the ELECTRA reference code, where both models read the one
/// <c>electra/embeddings</c> scope: the word, position and token-type tables and the embedding
/// LayerNorm are the same <see cref="Parameter"/> objects in both models (not copies), so one
/// update moves both. Sharing fixes the embedding width: both configs must have the same
/// <c>embedding_size</c>; each model keeps its own <c>embeddings_project</c> from that width to its
/// hidden size (the generator usually has one even when the discriminator, with
/// embedding_size = hidden_size, does not). The generator's LM head is tied to the shared word
/// embeddings, so the discriminator's input table also receives the generator's MLM gradient.</para>
/// <para>Sampling uses a caller-seeded <see cref="Generator"/> (its state can be saved and restored
/// for resume) and happens on detached logits: no gradient flows from the discriminator into the
/// generator through the sampled tokens. A sampled token equal to the original is labelled
/// original (0), as in the paper. Replacement happens at every selected position, so the collator
/// for ELECTRA is usually built with 85% mask / 0% random / 15% keep (the reference code's
/// proportions) — any split works.</para>
/// <para><see cref="TorchSharp.torch.nn.Module.parameters"/> of this module lists each shared
/// tensor once (TorchSharp skips a parameter already seen), so an optimizer over it updates every
/// tensor once per step.</para>
/// </remarks>
public sealed class ElectraPretrainingModel : ExplicitModule, IPretrainingObjective
{
    /// <summary>The paper's weight of the discriminator loss.</summary>
    public const double DefaultDiscriminatorWeight = 50.0;

    /// <summary>The subfolder of a saved ELECTRA pretraining checkpoint that holds the generator (an HF masked-LM folder); the discriminator is saved in the checkpoint folder itself.</summary>
    public const string GeneratorFolder = "generator";

    private readonly MaskedLmModel generator;
    private readonly ElectraDiscriminatorModel discriminator;
    private readonly Generator _sampler;

    /// <param name="generator">An ELECTRA MaskedLM model (ElectraForMaskedLM).</param>
    /// <param name="discriminator">An ELECTRA discriminator (ElectraForPreTraining).</param>
    /// <param name="sampler">Seeded generator for sampling replacements.</param>
    /// <param name="discriminatorWeight">λ in gen + λ·disc.</param>
    /// <remarks>The generator's embedding tensors are replaced by the discriminator's (its own are disposed).</remarks>
    public ElectraPretrainingModel(MaskedLmModel generator, ElectraDiscriminatorModel discriminator, Generator sampler,
        double discriminatorWeight = DefaultDiscriminatorWeight) : base(nameof(ElectraPretrainingModel))
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(discriminator);
        ArgumentNullException.ThrowIfNull(sampler);
        CheckCompatible(generator.Config, discriminator.Config);
        if (!(discriminatorWeight >= 0) || double.IsInfinity(discriminatorWeight))
            throw new ConfigException($"the discriminator loss weight must be a non-negative number, found {discriminatorWeight}.");
        this.generator = generator;
        this.discriminator = discriminator;
        _sampler = sampler;
        DiscriminatorWeight = discriminatorWeight;
        ShareEmbeddings(generator.Encoder.Embeddings, discriminator.Encoder.Embeddings);
        register_module(nameof(generator), generator);
        register_module(nameof(discriminator), discriminator);
    }

    /// <summary>
    /// A fresh pair with HF initialization: the discriminator from <paramref name="discriminatorConfig"/>,
    /// the generator from <see cref="GeneratorConfig"/>.
    /// </summary>
    /// <param name="device">Where the pair lives (default: the CPU); both halves are moved before their embeddings are shared.</param>
    public static ElectraPretrainingModel Create(EncoderConfig discriminatorConfig, Generator sampler,
        double generatorSizeFraction = 0.25, double discriminatorWeight = DefaultDiscriminatorWeight, Device? device = null)
    {
        var disc = (ElectraDiscriminatorModel)ModelFactory.Create(discriminatorConfig, ModelTask.PreTraining);
        var gen = (MaskedLmModel)ModelFactory.Create(GeneratorConfig(discriminatorConfig, generatorSizeFraction), ModelTask.MaskedLM);
        if (device is not null)
        {
            DevicePlacement.MoveTo(disc, device);
            DevicePlacement.MoveTo(gen, device);
        }
        return new ElectraPretrainingModel(gen, disc, sampler, discriminatorWeight);
    }

    /// <summary>
    /// Continues ELECTRA pretraining from HF folders (e.g. a published discriminator and its
    /// generator, or folders written by <see cref="SaveDiscriminator"/>/<see cref="SaveGenerator"/>).
    /// Where the two folders' embedding tensors differ, the discriminator's are kept. Returns both
    /// load reports (missing / unexpected keys) for the caller to show.
    /// </summary>
    public static (ElectraPretrainingModel Model, LoadReport Discriminator, LoadReport Generator) Load(string discriminatorFolder,
        string generatorFolder, Generator sampler, double discriminatorWeight = DefaultDiscriminatorWeight)
    {
        var (disc, discReport) = PretrainedModel.Load(discriminatorFolder, ModelTask.PreTraining);
        var (gen, genReport) = PretrainedModel.Load(generatorFolder, ModelTask.MaskedLM);
        try
        {
            var model = new ElectraPretrainingModel((MaskedLmModel)gen, (ElectraDiscriminatorModel)disc, sampler, discriminatorWeight);
            return (model, discReport, genReport);
        }
        catch
        {
            disc.Dispose();
            gen.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The generator config for a discriminator: hidden size, attention heads and intermediate size
    /// scaled by <paramref name="fraction"/> (the paper finds 1/4–1/2 best), same depth, vocabulary,
    /// positions, token types and — required by sharing — the same embedding_size.
    /// </summary>
    public static EncoderConfig GeneratorConfig(EncoderConfig discriminatorConfig, double fraction = 0.25)
    {
        ArgumentNullException.ThrowIfNull(discriminatorConfig);
        if (discriminatorConfig.ModelType != ModelType.Electra)
            throw new ConfigException($"ELECTRA pretraining needs an electra config, found {discriminatorConfig.ModelType}.");
        if (!(fraction > 0 && fraction <= 1))
            throw new ConfigException($"generator size fraction must be in (0, 1], found {fraction}.");
        var heads = Math.Max(1, (int)Math.Round(discriminatorConfig.NumAttentionHeads * fraction));
        var headSize = discriminatorConfig.HiddenSize / discriminatorConfig.NumAttentionHeads;
        var hidden = heads * headSize;   // keep the head width, so the hidden size divides by the head count
        var intermediate = Math.Max(1, (int)Math.Round(discriminatorConfig.IntermediateSize * (double)hidden / discriminatorConfig.HiddenSize));
        var source = discriminatorConfig.ToJson().AsObject();
        return EncoderConfig.Create(ModelType.Electra, discriminatorConfig.VocabSize, hidden, discriminatorConfig.NumHiddenLayers, heads,
            intermediate, discriminatorConfig.EmbeddingSize, discriminatorConfig.MaxPositionEmbeddings, extra: obj =>
            {
                foreach (var key in new[] { "type_vocab_size", "pad_token_id", "layer_norm_eps", "hidden_act", "hidden_dropout_prob",
                                            "attention_probs_dropout_prob", "initializer_range" })
                    if (source[key] is JsonNode value) obj[key] = value.DeepClone();
            });
    }

    /// <summary>The generator (a small masked-LM model sharing the discriminator's embeddings).</summary>
    public MaskedLmModel Generator => generator;
    /// <summary>The discriminator, the model kept after pretraining.</summary>
    public ElectraDiscriminatorModel Discriminator => discriminator;
    /// <summary>λ in generator loss + λ·discriminator loss.</summary>
    public double DiscriminatorWeight { get; }

    /// <summary>The sampling generator; save its state (<c>get_state</c>) with a checkpoint to resume exactly.</summary>
    public Generator Sampler => _sampler;

    /// <summary>
    /// One ELECTRA step's loss on an MLM-collated batch: generator MLM at the selected positions,
    /// replacements sampled from its softmax, discriminator BCE over every non-padding position.
    /// Parts: <c>generator</c>, <c>discriminator</c> (unweighted), <c>replaced_fraction</c> (share of
    /// non-padding tokens that differ from the original, no graph).
    /// </summary>
    public PretrainingLoss Compute(MlmBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var encoded = generator.Encoder.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        Tensor generatorLoss;
        Tensor corrupted;
        try
        {
            generatorLoss = MlmObjective.MaskedPositionLoss(generator, encoded.LastHiddenState, batch.MaskedPositions, batch.MaskedLabels);
            using var sampled = SampleReplacements(encoded.LastHiddenState, batch.MaskedPositions);
            corrupted = Corrupt(batch.OriginalInputIds, batch.MaskedPositions, sampled);
        }
        finally
        {
            foreach (var state in encoded.HiddenStates) state.Dispose();
            encoded.PoolerOutput?.Dispose();
        }
        using var _ = corrupted;
        using var rtdLabels = ReplacedTokenLabels(batch.OriginalInputIds, corrupted, batch.AttentionMask);
        var outputs = discriminator.Forward(new ModelInputs(corrupted, batch.AttentionMask, batch.TokenTypeIds));
        foreach (var state in outputs.Encoder.HiddenStates) state.Dispose();
        using var logits = outputs.Logits;
        var discriminatorLoss = ElectraDiscriminatorModel.DiscriminatorLoss(logits, rtdLabels, batch.AttentionMask);
        var total = generatorLoss + discriminatorLoss * DiscriminatorWeight;
        using var replacedCount = rtdLabels.sum().to_type(ScalarType.Float32);
        using var tokenCount = batch.AttentionMask.sum().to_type(ScalarType.Float32);
        var replacedFraction = replacedCount / tokenCount;
        return new PretrainingLoss(total, new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["generator"] = generatorLoss,
            ["discriminator"] = discriminatorLoss,
            ["replaced_fraction"] = replacedFraction,
        }, batch.MaskedCount);
    }

    /// <summary>
    /// RTD labels [B, L] int64: 1 where <paramref name="corrupted"/> differs from
    /// <paramref name="original"/> at a non-padding position, else 0 — a sampled token equal to the
    /// original counts as original.
    /// </summary>
    public static Tensor ReplacedTokenLabels(Tensor original, Tensor corrupted, Tensor attentionMask)
    {
        if (!original.shape.SequenceEqual(corrupted.shape) || !original.shape.SequenceEqual(attentionMask.shape))
            throw new DataException($"original [{string.Join(", ", original.shape)}], corrupted [{string.Join(", ", corrupted.shape)}] and " +
                                    $"attention mask [{string.Join(", ", attentionMask.shape)}] must have the same shape.");
        using var differs = original.ne(corrupted);
        using var real = attentionMask.ne(0);
        using var both = differs.logical_and(real);
        return both.to_type(ScalarType.Int64);
    }

    /// <summary>The original ids with <paramref name="sampled"/> written at the flat <paramref name="maskedPositions"/>.</summary>
    public static Tensor Corrupt(Tensor originalIds, Tensor maskedPositions, Tensor sampled)
    {
        using var flat = originalIds.reshape(-1).clone();
        flat.index_put_(sampled, maskedPositions);
        return flat.reshape(originalIds.shape);
    }

    /// <summary>Writes the discriminator as a HF ElectraForPreTraining folder (fine-tunable with ElectraFor… heads).</summary>
    public void SaveDiscriminator(string folder, Action<string>? saveTokenizer = null) =>
        PretrainedModel.Save(discriminator, folder, saveTokenizer);

    /// <summary>Writes the generator as a HF ElectraForMaskedLM folder.</summary>
    public void SaveGenerator(string folder, Action<string>? saveTokenizer = null) =>
        PretrainedModel.Save(generator, folder, saveTokenizer);

    /// <summary>
    /// One token per masked position, sampled from the generator's softmax (no gradient), drawing
    /// from <paramref name="sampler"/> (default: the training <see cref="Sampler"/>; evaluation
    /// passes its own so it does not move the training stream).
    /// </summary>
    public Tensor SampleReplacements(Tensor generatorHidden, Tensor maskedPositions, Generator? sampler = null)
    {
        if (maskedPositions.shape[0] == 0) return empty(0, dtype: ScalarType.Int64, device: maskedPositions.device);
        using var noGrad = no_grad();
        using var flat = generatorHidden.reshape(-1, generatorHidden.shape[^1]);
        using var selected = flat.index_select(0, maskedPositions);
        using var logits = generator.PredictTokens(selected);
        using var probabilities = nn.functional.softmax(logits.to_type(ScalarType.Float32), -1);
        using var draws = multinomial(probabilities, 1, replacement: true, generator: sampler ?? _sampler);
        return draws.reshape(-1);
    }

    private static void CheckCompatible(EncoderConfig gen, EncoderConfig disc)
    {
        if (gen.ModelType != ModelType.Electra || disc.ModelType != ModelType.Electra)
            throw new ConfigException($"ELECTRA pretraining needs electra configs; generator is {gen.ModelType}, discriminator {disc.ModelType}.");
        void Same(int a, int b, string name)
        {
            if (a != b)
                throw new ConfigException($"generator and discriminator share embeddings, so their '{name}' must match: generator {a}, discriminator {b}.");
        }
        Same(gen.EmbeddingSize, disc.EmbeddingSize, "embedding_size");
        Same(gen.VocabSize, disc.VocabSize, "vocab_size");
        Same(gen.MaxPositionEmbeddings, disc.MaxPositionEmbeddings, "max_position_embeddings");
        Same(gen.TypeVocabSize, disc.TypeVocabSize, "type_vocab_size");
        Same(gen.PadTokenId, disc.PadTokenId, "pad_token_id");
    }

    /// <summary>Points every parameter of the generator's embedding submodules at the discriminator's.</summary>
    /// <remarks>
    /// The source tensors are taken from <c>named_parameters</c>, i.e. the Parameter objects the
    /// discriminator registered: TorchSharp's <c>Embedding.weight</c> getter wraps the native tensor
    /// in a new object on every call, and registering such a wrapper would make the generator list
    /// a second object for the same tensor — <c>parameters()</c> would then hand it to the
    /// optimizer twice.
    /// </remarks>
    private static void ShareEmbeddings(EncoderEmbeddings target, EncoderEmbeddings source)
    {
        var sourceChildren = source.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
        foreach (var (name, child) in target.named_children())
        {
            var shared = sourceChildren[name].named_parameters(recurse: false).ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            var replaced = child.named_parameters(recurse: false).Select(p => p.parameter).ToList();
            switch (child)
            {
                case Embedding embedding:
                    embedding.weight = shared["weight"];
                    break;
                case LayerNorm norm:
                    norm.weight = shared["weight"];
                    norm.bias = shared["bias"];
                    break;
                default:
                    throw new InvalidOperationException($"embeddings child '{name}' is a {child.GetType().Name}; sharing knows Embedding and LayerNorm.");
            }
            foreach (var old in replaced) old.Dispose();
        }
    }
}
