using Acclimate.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// HF *ForSequenceClassification. BERT/ALBERT: dropout + <c>classifier</c> Linear on the pooler
/// output; RoBERTa/ELECTRA: a two-layer <c>classifier</c> on the first token. Outputs
/// <c>logits</c> [B, num_labels]. Loss as HF: MSE for one label (regression), BCE-with-logits for
/// problem_type multi_label_classification, cross-entropy otherwise.
/// </summary>
public sealed class SequenceClassificationModel : TransformerModel, IPooledClassifier
{
    private readonly Linear? _poolerClassifier;
    private readonly FirstTokenClassificationHead? _firstTokenClassifier;

    /// <summary>A fresh sequence classifier of <paramref name="config"/>'s shape, with <see cref="EncoderConfig.NumLabels"/> outputs.</summary>
    public SequenceClassificationModel(EncoderConfig config)
        : base(config, ModelTask.SequenceClassification, addPoolingLayer: config.Family.ClassifiesFromPooler)
    {
        if (config.Family.ClassifiesFromPooler)
        {
            _poolerClassifier = nn.Linear(config.HiddenSize, config.NumLabels);
            register_module("classifier", _poolerClassifier);
        }
        else
        {
            _firstTokenClassifier = new FirstTokenClassificationHead(config);
            register_module("classifier", _firstTokenClassifier);
        }
    }

    /// <inheritdoc />
    public override ModelOutputs Forward(ModelInputs inputs)
    {
        var encoded = Encoder.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
        var outputs = new ModelOutputs(encoded);
        Tensor logits;
        if (_poolerClassifier is not null)
        {
            logits = Classify(encoded.PoolerOutput!);
        }
        else
        {
            logits = _firstTokenClassifier!.Forward(encoded.LastHiddenState);
        }
        outputs.Add("logits", logits);
        if (inputs.Labels is not null) outputs.Loss = Loss(logits, inputs.Labels);
        return outputs;
    }

    /// <inheritdoc />
    public Tensor Pool(EncoderOutput encoded, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return _poolerClassifier is not null ? encoded.PoolerOutput! : FirstTokenClassificationHead.FirstToken(encoded.LastHiddenState);
    }

    /// <inheritdoc />
    public Tensor Classify(Tensor pooled)
    {
        if (_firstTokenClassifier is not null) return _firstTokenClassifier.Classify(pooled);
        using var dropped = nn.functional.dropout(pooled, Config.ClassifierDropout, training);
        return _poolerClassifier!.forward(dropped);
    }

    private Tensor Loss(Tensor logits, Tensor labels)
    {
        var problem = Config.ProblemType ?? (Config.NumLabels == 1 ? "regression"
            : labels.dtype is ScalarType.Int64 or ScalarType.Int32 ? "single_label_classification"
            : "multi_label_classification");
        switch (problem)
        {
            case "regression":
                using (var target = labels.to(logits.dtype).reshape(logits.shape[0], -1))
                using (var flat = logits.reshape(logits.shape[0], -1))
                    return nn.functional.mse_loss(flat.squeeze(), target.squeeze());
            case "multi_label_classification":
                using (var target = labels.to(logits.dtype))
                    return nn.functional.binary_cross_entropy_with_logits(logits, target);
            default:
                using (var flat = labels.reshape(-1).to(ScalarType.Int64))
                    return nn.functional.cross_entropy(logits.reshape(-1, Config.NumLabels), flat);
        }
    }
}
