using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// Sequence classification from mean-pooled last hidden states: the encoder under its HF name and a
/// <see cref="MeanPoolingClassificationHead"/> under <c>classifier.</c> (key
/// <c>classifier.classifier.weight</c>). Saved as an HF folder plus <c>pooling.json</c>, which
/// <see cref="ClassifierFolder.Load"/> reads to rebuild this model instead of the pooler head.
/// </summary>
internal sealed class MeanPooledClassifier : TransformerModel, IPooledClassifier
{
    public const string PoolingFileName = "pooling.json";

    private readonly MeanPoolingClassificationHead classifier;

    public MeanPooledClassifier(EncoderConfig config) : base(config, ModelTask.SequenceClassification, addPoolingLayer: false)
    {
        classifier = new MeanPoolingClassificationHead(config.HiddenSize, config.NumLabels, config.ClassifierDropout, config.InitializerRange);
        register_module(nameof(classifier), classifier);
    }

    public override ModelOutputs Forward(ModelInputs inputs)
    {
        var mask = inputs.AttentionMask ?? ones_like(inputs.InputIds);
        var encoded = Encoder.Forward(inputs.InputIds, mask, inputs.TokenTypeIds);
        var outputs = new ModelOutputs(encoded);
        var logits = classifier.Forward(encoded.LastHiddenState, mask);
        outputs.Add("logits", logits);
        if (inputs.Labels is not null) outputs.Loss = nn.functional.cross_entropy(logits, inputs.Labels.reshape(-1).to(ScalarType.Int64));
        return outputs;
    }

    /// <inheritdoc />
    public Tensor Pool(EncoderOutput encoded, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return MeanPoolingClassificationHead.MeanPool(encoded.LastHiddenState, attentionMask);
    }

    /// <inheritdoc />
    public Tensor Classify(Tensor pooled) => classifier.Classify(pooled);

    /// <summary>A classifier whose encoder comes from <paramref name="encoderFolder"/>; the head is new (HF's classifier initialization).</summary>
    public static MeanPooledClassifier FromPretrained(string encoderFolder, IReadOnlyList<string> labels)
    {
        TorchRuntime.EnsureInitialized();
        var config = EncoderConfig.Load(Path.Combine(encoderFolder, PretrainedModel.ConfigFileName)).WithLabels(labels);
        var model = new MeanPooledClassifier(config);
        try
        {
            var report = PretrainedModel.LoadWeights(model, encoderFolder);
            var missing = report.MissingKeys.Where(k => !k.StartsWith("classifier.", StringComparison.Ordinal)).ToArray();
            if (missing.Length > 0) throw new CheckpointException($"{encoderFolder}: the encoder checkpoint lacks {missing.Length} tensors ({string.Join(", ", missing.Take(5))}).");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
