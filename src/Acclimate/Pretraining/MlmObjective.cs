using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Models.Albert;
using Acclimate.Models.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// Masked-LM loss of a <see cref="MaskedLmModel"/>, with vocabulary logits computed only at the
/// masked positions: the encoder runs on the whole batch, the hidden states of the M masked
/// positions are gathered, and only those go through the LM head — an [M, V] matrix instead of
/// [B·L, V], about 1/0.15 ≈ 6.7× less head work. The result equals HF's loss over full logits
/// (mean cross-entropy over the positions whose label is not -100). When the batch has sentence
/// labels and the model has a sentence head (BertForPreTraining's NSP, AlbertForPreTraining's
/// SOP), that cross-entropy is added as HF does.
/// </summary>
public sealed class MlmObjective : IPretrainingObjective
{
    private readonly MaskedLmModel _model;
    private readonly Func<Tensor, Tensor>? _predictSentence;
    private readonly string? _sentencePartName;

    /// <summary>The objective of <paramref name="model"/>: MLM, plus NSP/SOP when it has a sentence head.</summary>
    public MlmObjective(MaskedLmModel model)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        // The sentence heads are children of the model under HF's names; reaching them by name
        // keeps the model's API unchanged.
        foreach (var (name, child) in model.named_children())
        {
            if (name == "cls" && child is BertPreTrainingHeads cls && model.Task == ModelTask.PreTraining)
            {
                _predictSentence = cls.PredictNextSentence;
                _sentencePartName = "nsp";
            }
            else if (name == "sop_classifier" && child is AlbertSopHead sop)
            {
                _predictSentence = sop.Forward;
                _sentencePartName = "sop";
            }
        }
    }

    /// <summary>The model being trained.</summary>
    public MaskedLmModel Model => _model;

    /// <summary>Whether the model has an NSP or SOP head.</summary>
    public bool HasSentenceHead => _predictSentence is not null;

    /// <summary>Runs the model on <paramref name="batch"/> and returns its loss with the parts (mlm, and nsp or sop).</summary>
    public PretrainingLoss Compute(MlmBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var encoded = _model.Encoder.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        try
        {
            var mlm = MaskedPositionLoss(_model, encoded.LastHiddenState, batch.MaskedPositions, batch.MaskedLabels);
            var parts = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["mlm"] = mlm };
            var total = mlm;
            if (batch.SentenceLabels is not null)
            {
                if (_predictSentence is null)
                    throw new ConfigException($"the batch has sentence labels but {_model.ArchitectureName} has no NSP/SOP head " +
                                              "(load the model for the PreTraining task, or build pairs without labels).");
                using var logits = _predictSentence(encoded.PoolerOutput!);
                var sentence = nn.functional.cross_entropy(logits, batch.SentenceLabels);
                parts[_sentencePartName!] = sentence;
                total = mlm + sentence;
            }
            return new PretrainingLoss(total, parts, batch.MaskedCount);
        }
        finally
        {
            foreach (var state in encoded.HiddenStates) state.Dispose();
            encoded.PoolerOutput?.Dispose();
        }
    }

    /// <summary>
    /// Mean cross-entropy of the LM head's logits at <paramref name="maskedPositions"/> (flat b·L+t
    /// indices into <paramref name="hidden"/> [B, L, H]) against <paramref name="maskedLabels"/>.
    /// With no masked position the loss is 0 with a graph (HF's mean over nothing would be NaN).
    /// </summary>
    public static Tensor MaskedPositionLoss(MaskedLmModel model, Tensor hidden, Tensor maskedPositions, Tensor maskedLabels)
    {
        if (maskedPositions.shape[0] == 0) return hidden.sum() * 0.0;
        using var flat = hidden.reshape(-1, hidden.shape[^1]);
        using var selected = flat.index_select(0, maskedPositions);
        using var logits = model.PredictTokens(selected);
        return nn.functional.cross_entropy(logits, maskedLabels);
    }
}
