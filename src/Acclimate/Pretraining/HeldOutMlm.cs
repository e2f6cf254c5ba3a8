using Acclimate.Checkpoints;
using Acclimate.Data.Batching;
using Acclimate.Data.Caching;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>How <see cref="HeldOutMlm.Score"/> reads and scores a corpus.</summary>
public sealed record HeldOutMlmSettings
{
    /// <summary>Tokens per packed block, [CLS]/[SEP] included.</summary>
    public int BlockSize { get; init; } = 128;
    /// <summary>Blocks per forward pass.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Score at most this many blocks (0 = all).</summary>
    public int MaxBlocks { get; init; }
    /// <summary>How the corpus file is read.</summary>
    public CorpusOptions Corpus { get; init; } = new();
    /// <summary>Token cache root (default: the Acclimate cache's tokens/).</summary>
    public string? TokenCacheRoot { get; init; }
    /// <summary>The device the model runs on (default the CPU).</summary>
    public Device? Device { get; init; }
}

/// <summary>A model's held-out masked-LM score; for an ELECTRA pair also the discriminator's detection.</summary>
/// <param name="Mlm">The masked-LM (or ELECTRA generator's) score.</param>
/// <param name="Electra">The ELECTRA pair's score, when the folder is an ELECTRA discriminator with its generator.</param>
public sealed record HeldOutMlmResult(MlmScore Mlm, ElectraScore? Electra);

/// <summary>
/// Masked-token loss of a saved model folder on a corpus with <see cref="MlmEvaluation"/>'s fixed
/// masks: two models scored on the same corpus with the same settings are scored on exactly the same
/// masked positions, so their losses compare directly (what <c>acclimate eval-mlm</c> prints and
/// <see cref="ForgettingFrontier"/> is built from).
/// </summary>
public static class HeldOutMlm
{
    /// <summary>Scores <paramref name="modelFolder"/> (a …ForMaskedLM / …ForPreTraining folder, or an ELECTRA discriminator with generator/ beside it) on <paramref name="corpus"/>.</summary>
    /// <exception cref="ConfigException">The folder has no masked-LM head, or its tokenizer does not fit the model.</exception>
    public static HeldOutMlmResult Score(string modelFolder, string corpus, HeldOutMlmSettings settings)
    {
        ArgumentNullException.ThrowIfNull(modelFolder);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(settings);
        var device = settings.Device ?? CPU;
        var tokenizer = TokenizerLoader.FromFolder(modelFolder);
        var (loaded, _) = PretrainedModel.Load(modelFolder);
        using var net = DevicePlacement.MoveTo(loaded, device);
        if (tokenizer.VocabSize > net.Config.VocabSize)
            throw new ConfigException($"{modelFolder}: the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {net.Config.VocabSize}.");
        var cacheRoot = settings.TokenCacheRoot ?? Path.Combine(AcclimateCache.DefaultDirectory(), "tokens");
        using var cache = TokenCacheBuilder.GetOrBuild(new CorpusReader(corpus, settings.Corpus), tokenizer, modelFolder, cacheRoot);
        var blocks = new PretrainingBlocks(cache, settings.BlockSize, BlockMode.Packed, tokenizer.ClsTokenId, tokenizer.SepTokenId);
        var specials = new SpecialTokenIds(tokenizer.PadTokenId, tokenizer.MaskTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.SpecialTokenIds);
        var evaluation = new MlmEvaluation(new BlockExamples(blocks, settings.MaxBlocks), new MlmMaskingOptions(), specials, net.Config.VocabSize, settings.BatchSize, device: device);
        switch (net)
        {
            case MaskedLmModel mlm:
                return new HeldOutMlmResult(evaluation.Score(mlm), null);
            case ElectraDiscriminatorModel disc when Directory.Exists(Path.Combine(modelFolder, ElectraPretrainingModel.GeneratorFolder)):
                // Moved before the pair is joined: joining shares the discriminator's embedding Parameters.
                var generator = DevicePlacement.MoveTo((MaskedLmModel)PretrainedModel.Load(Path.Combine(modelFolder, ElectraPretrainingModel.GeneratorFolder), ModelTask.MaskedLM).Model, device);
                // Not disposed here: it owns the discriminator, which `net` disposes.
                var electra = new ElectraPretrainingModel(generator, disc, new torch.Generator(0, device));
                var score = evaluation.Score(electra);
                return new HeldOutMlmResult(score.Generator, score);
            default:
                throw new ConfigException($"{modelFolder}: {net.ArchitectureName} has no masked-LM head; a masked-LM score needs a …ForMaskedLM / …ForPreTraining model (or an ELECTRA discriminator with its generator/ folder).");
        }
    }
}
