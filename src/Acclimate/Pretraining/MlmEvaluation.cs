using Acclimate.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>Held-out masked-LM score: mean cross-entropy over the masked tokens and its exponential.</summary>
/// <param name="Loss">Mean cross-entropy (nats) over every masked token of the set.</param>
/// <param name="MaskedTokens">How many tokens were scored.</param>
/// <param name="Sequences">How many sequences were read.</param>
public sealed record MlmScore(double Loss, long MaskedTokens, int Sequences)
{
    /// <summary>exp(loss): the masked-token perplexity.</summary>
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>ELECTRA's held-out score: the generator's MLM score and the discriminator's replaced-token detection.</summary>
/// <param name="Generator">Generator MLM loss on the masked tokens.</param>
/// <param name="DiscriminatorAccuracy">Share of non-padding tokens the discriminator labels right (original vs replaced).</param>
/// <param name="ReplacedRecall">Share of actually replaced tokens it flags.</param>
/// <param name="ReplacedFraction">Share of non-padding tokens that were replaced.</param>
public sealed record ElectraScore(MlmScore Generator, double DiscriminatorAccuracy, double ReplacedRecall, double ReplacedFraction);

/// <summary>
/// Scores models on a fixed held-out set with fixed masks: every sequence is masked by static
/// masking from (<see cref="MaskSeed"/>, its index), so two evaluations — before and after a run,
/// or of two different runs over the same set — score exactly the same positions, and their losses
/// can be compared directly.
/// </summary>
public sealed class MlmEvaluation
{
    /// <summary>The masking seed of every held-out set (a constant, so all runs see the same masks).</summary>
    public const long MaskSeed = 20_240_601;

    private readonly IPretrainingExamples _examples;
    private readonly MlmCollator _collator;
    private readonly int _batchSize;
    private readonly Device? _device;

    /// <param name="examples">Held-out sequences.</param>
    /// <param name="masking">Masking rates; the mode is forced to static with <see cref="MaskSeed"/>.</param>
    /// <param name="specials">Special ids (never masked).</param>
    /// <param name="vocabularySize">The model's vocabulary size.</param>
    /// <param name="batchSize">Sequences per forward pass.</param>
    /// <param name="wholeWords">Whole-word boundaries, when the run masks whole words.</param>
    /// <param name="device">The model's device: batches and the ELECTRA sampler are created there (default the CPU).</param>
    public MlmEvaluation(IPretrainingExamples examples, MlmMaskingOptions masking, SpecialTokenIds specials, int vocabularySize, int batchSize,
        WordBoundaries? wholeWords = null, Device? device = null)
    {
        _examples = examples ?? throw new ArgumentNullException(nameof(examples));
        ArgumentNullException.ThrowIfNull(masking);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be >= 1.");
        _collator = new MlmCollator(masking with { Mode = MaskingMode.Static, StaticSeed = MaskSeed }, specials, vocabularySize, wholeWords, device);
        _batchSize = batchSize;
        _device = device;
    }

    /// <summary>Held-out sequences scored per evaluation.</summary>
    public int Sequences => _examples.Count;

    /// <summary>Masked-LM loss of <paramref name="model"/> (eval mode and no_grad inside; the mode is restored).</summary>
    public MlmScore Score(MaskedLmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        double sum = 0;
        long count = 0;
        Run(model, batch =>
        {
            var encoded = model.Encoder.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
            using var loss = MlmObjective.MaskedPositionLoss(model, encoded.LastHiddenState, batch.MaskedPositions, batch.MaskedLabels);
            sum += loss.to_type(ScalarType.Float64).item<double>() * batch.MaskedCount;
            count += batch.MaskedCount;
        });
        return new MlmScore(count == 0 ? double.NaN : sum / count, count, _examples.Count);
    }

    /// <summary>
    /// The generator's masked-LM loss and the discriminator's detection accuracy. Replacements are
    /// sampled from a generator seeded with <see cref="MaskSeed"/> afresh on every call, so the
    /// training sampler is untouched and repeated calls on the same weights agree.
    /// </summary>
    public ElectraScore Score(ElectraPretrainingModel electra)
    {
        ArgumentNullException.ThrowIfNull(electra);
        using var sampler = new Generator((ulong)MaskSeed, _device ?? CPU);
        double sum = 0;
        long count = 0, tokens = 0, correct = 0, replaced = 0, caught = 0;
        Run(electra, batch =>
        {
            var encoded = electra.Generator.Encoder.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
            using var loss = MlmObjective.MaskedPositionLoss(electra.Generator, encoded.LastHiddenState, batch.MaskedPositions, batch.MaskedLabels);
            sum += loss.to_type(ScalarType.Float64).item<double>() * batch.MaskedCount;
            count += batch.MaskedCount;
            var sampled = electra.SampleReplacements(encoded.LastHiddenState, batch.MaskedPositions, sampler);
            var corrupted = ElectraPretrainingModel.Corrupt(batch.OriginalInputIds, batch.MaskedPositions, sampled);
            var labels = ElectraPretrainingModel.ReplacedTokenLabels(batch.OriginalInputIds, corrupted, batch.AttentionMask).to_type(ScalarType.Bool);
            var logits = electra.Discriminator.Forward(new ModelInputs(corrupted, batch.AttentionMask, batch.TokenTypeIds)).Logits;
            var predicted = logits.gt(0);
            var real = batch.AttentionMask.ne(0);
            tokens += real.sum().item<long>();
            correct += predicted.eq(labels).logical_and(real).sum().item<long>();
            replaced += labels.sum().item<long>();
            caught += predicted.logical_and(labels).sum().item<long>();
        });
        var generator = new MlmScore(count == 0 ? double.NaN : sum / count, count, _examples.Count);
        return new ElectraScore(generator, (double)correct / Math.Max(1, tokens), replaced == 0 ? double.NaN : (double)caught / replaced,
            (double)replaced / Math.Max(1, tokens));
    }

    private void Run(nn.Module model, Action<MlmBatch> score)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            for (var start = 0; start < _examples.Count; start += _batchSize)
            {
                using var scope = NewDisposeScope();
                var items = new List<MlmExample>(_batchSize);
                for (var i = start; i < Math.Min(_examples.Count, start + _batchSize); i++) items.Add(_examples.Get(i));
                score(_collator.Collate(items, null));
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
