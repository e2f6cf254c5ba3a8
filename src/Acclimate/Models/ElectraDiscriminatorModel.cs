using Acclimate.Models.Electra;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// HF ElectraForPreTraining: the replaced-token-detection discriminator. Outputs
/// <c>discriminator_logits</c> [B, L]; the loss is binary cross-entropy with logits over the
/// positions where the attention mask is 1 (all positions without a mask), as HF.
/// </summary>
public sealed class ElectraDiscriminatorModel : TransformerModel
{
    private readonly ElectraDiscriminatorPredictions discriminator_predictions;

    /// <summary>A fresh (randomly initialized) discriminator of <paramref name="config"/>'s shape.</summary>
    public ElectraDiscriminatorModel(EncoderConfig config) : base(config, ModelTask.PreTraining, addPoolingLayer: false)
    {
        if (config.ModelType != ModelType.Electra)
            throw new Errors.ConfigException($"The replaced-token discriminator is an ELECTRA head; config model_type is {BackboneName}.");
        discriminator_predictions = new ElectraDiscriminatorPredictions(config);
        register_module(nameof(discriminator_predictions), discriminator_predictions);
    }

    /// <inheritdoc />
    public override ModelOutputs Forward(ModelInputs inputs)
    {
        var encoded = Encoder.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
        var outputs = new ModelOutputs(encoded);
        var logits = discriminator_predictions.Forward(encoded.LastHiddenState);
        outputs.Add("discriminator_logits", logits);
        if (inputs.Labels is not null)
            outputs.Loss = DiscriminatorLoss(logits, inputs.Labels, inputs.AttentionMask);
        return outputs;
    }

    /// <summary>BCE-with-logits of [B, L] logits against 0/1 labels over the attended positions.</summary>
    public static Tensor DiscriminatorLoss(Tensor logits, Tensor labels, Tensor? attentionMask)
    {
        using var target = labels.to(logits.dtype);
        if (attentionMask is null)
            return nn.functional.binary_cross_entropy_with_logits(logits, target);
        using var active = attentionMask.eq(1);
        using var activeLogits = logits.masked_select(active);
        using var activeTarget = target.masked_select(active);
        return nn.functional.binary_cross_entropy_with_logits(activeLogits, activeTarget);
    }
}
