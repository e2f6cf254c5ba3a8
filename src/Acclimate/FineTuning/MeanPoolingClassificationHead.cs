using Acclimate.Errors;
using Acclimate.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// Sequence classification from the mean of the real tokens' last hidden states (attention mask 1,
/// special tokens included, as sentence-transformers' mean pooling), then dropout and a
/// <c>classifier</c> Linear: an alternative to the [CLS]/pooler head, often better for models
/// whose pooler was never trained (RoBERTa, ELECTRA) or after domain adaptation.
/// </summary>
internal sealed class MeanPoolingClassificationHead : ExplicitModule
{
    private readonly Linear classifier;
    private readonly double _dropout;

    public MeanPoolingClassificationHead(int hiddenSize, int numLabels, double dropout = 0.1, double initializerRange = 0.02)
        : base(nameof(MeanPoolingClassificationHead))
    {
        if (hiddenSize <= 0 || numLabels <= 0) throw new ConfigException($"mean pooling head: hidden size {hiddenSize} and labels {numLabels} must be positive.");
        if (dropout < 0 || dropout >= 1) throw new ConfigException($"mean pooling head: dropout must be in [0, 1); got {dropout}.");
        classifier = nn.Linear(hiddenSize, numLabels);
        register_module(nameof(classifier), classifier);
        _dropout = dropout;
        using var _ = no_grad();
        // HF's initialization for classifier Linears.
        classifier.weight!.normal_(0, initializerRange);
        classifier.bias!.zero_();
    }

    /// <summary>[batch, length, hidden] and [batch, length] → logits [batch, labels].</summary>
    public Tensor Forward(Tensor lastHidden, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        return Classify(MeanPool(lastHidden, attentionMask)).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [batch, labels] from mean-pooled representations [batch, hidden].</summary>
    public Tensor Classify(Tensor pooled)
    {
        using var scope = NewDisposeScope();
        var dropped = nn.functional.dropout(pooled, _dropout, training);
        return classifier.forward(dropped).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean over the positions whose mask is nonzero: [batch, length, hidden] → [batch, hidden].
    /// Padded positions are zeroed before summing (not multiplied), so even non-finite values there
    /// cannot leak in; a row without real tokens gives zeros.
    /// </summary>
    public static Tensor MeanPool(Tensor hidden, Tensor attentionMask)
    {
        if (hidden.dim() != 3 || attentionMask.dim() != 2 || hidden.shape[0] != attentionMask.shape[0] || hidden.shape[1] != attentionMask.shape[1])
            throw new DataException($"mean pooling: hidden states [{string.Join(", ", hidden.shape)}] and mask [{string.Join(", ", attentionMask.shape)}] do not match; expected [B, L, H] and [B, L].");
        using var scope = NewDisposeScope();
        var real = attentionMask.ne(0);
        var summed = hidden.masked_fill(real.logical_not().unsqueeze(2), 0).sum(1);
        var counts = real.sum(1, keepdim: true).clamp_min(1).to(hidden.dtype);
        return (summed / counts).MoveToOuterDisposeScope();
    }
}
