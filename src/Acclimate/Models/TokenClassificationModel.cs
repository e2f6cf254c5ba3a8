using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// HF *ForTokenClassification: dropout + <c>classifier</c> Linear on every token's last hidden
/// state. Outputs <c>logits</c> [B, L, num_labels]; the loss is cross-entropy over positions whose
/// attention mask is 1 and whose label is not -100, as HF.
/// </summary>
public sealed class TokenClassificationModel : TransformerModel
{
    private readonly Linear classifier;

    /// <summary>A fresh token classifier of <paramref name="config"/>'s shape, with <see cref="EncoderConfig.NumLabels"/> outputs.</summary>
    public TokenClassificationModel(EncoderConfig config) : base(config, ModelTask.TokenClassification, addPoolingLayer: false)
    {
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        register_module(nameof(classifier), classifier);
    }

    /// <inheritdoc />
    public override ModelOutputs Forward(ModelInputs inputs)
    {
        var encoded = Encoder.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
        var outputs = new ModelOutputs(encoded);
        using var dropped = nn.functional.dropout(encoded.LastHiddenState, Config.ClassifierDropout, training);
        var logits = classifier.forward(dropped);
        outputs.Add("logits", logits);
        if (inputs.Labels is not null)
        {
            var labels = inputs.Labels;
            using var masked = inputs.AttentionMask is null ? null : labels.masked_fill(inputs.AttentionMask.eq(0), -100);
            using var flatLogits = logits.reshape(-1, Config.NumLabels);
            using var flatLabels = (masked ?? labels).reshape(-1);
            outputs.Loss = nn.functional.cross_entropy(flatLogits, flatLabels, ignore_index: -100);
        }
        return outputs;
    }
}
