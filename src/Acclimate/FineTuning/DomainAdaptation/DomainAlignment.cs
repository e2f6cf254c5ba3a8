using Acclimate.Adaptation.FeatureAlignment;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Runtime;
using Acclimate.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.DomainAdaptation;

/// <summary>
/// The feature-alignment terms of <c>adaptation:</c> for one run: given the pooled features of a
/// source micro-batch and of its target batch, weight·MMD²(source, target) and weight·BCE of a
/// <see cref="DomainClassifier"/> that sees the features through a gradient-reversal layer
/// (λ from <see cref="DannLambda"/> at the run's progress). Owns the domain classifier, which is
/// trained with the model (its parameters join the optimizer under <see cref="ParameterPrefix"/>)
/// and saved beside checkpoints as <see cref="FileName"/>, never inside the model's own files.
/// </summary>
internal sealed class DomainAlignment : IDisposable
{
    /// <summary>The domain classifier's weights inside a checkpoint folder.</summary>
    public const string FileName = "domain_classifier.safetensors";

    /// <summary>Its parameters' names in the optimizer (and its state file).</summary>
    public const string ParameterPrefix = "domain_classifier.";

    private readonly AdaptationOptions _options;

    public DomainAlignment(AdaptationOptions options, int featureWidth, Device device)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Dann.Weight > 0)
        {
            Classifier = new DomainClassifier(featureWidth, options.Dann.Hidden);
            DevicePlacement.MoveTo(Classifier, device);
        }
    }

    /// <summary>The domain classifier (null without DANN).</summary>
    public DomainClassifier? Classifier { get; }

    /// <summary>The domain classifier's parameters, named with <see cref="ParameterPrefix"/>.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() =>
        Classifier is null ? Array.Empty<(string, Parameter)>() : Classifier.named_parameters().Select(p => (ParameterPrefix + p.name, p.parameter));

    /// <summary>
    /// The optimizer groups of a fine-tuning run: the model's from <paramref name="modelGroups"/>,
    /// the domain classifier in its own group at <c>dann.learning_rate</c> (default the head's rate).
    /// </summary>
    public static Func<string, ParameterGroupChoice> Groups(FineTuneRecipe recipe, Func<string, ParameterGroupChoice> modelGroups)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(modelGroups);
        var headLr = recipe.Optimizer.HeadLearningRate > 0 ? recipe.Optimizer.HeadLearningRate : recipe.Training.LearningRate;
        var domainLr = recipe.Adaptation.Dann.LearningRate > 0 ? recipe.Adaptation.Dann.LearningRate : headLr;
        return name => name.StartsWith(ParameterPrefix, StringComparison.Ordinal)
            ? new ParameterGroupChoice("domain_classifier", domainLr)
            : modelGroups(name);
    }

    /// <summary>
    /// The weighted alignment loss of one micro-batch; each unweighted term is added to
    /// <paramref name="parts"/> (<c>mmd</c>, <c>domain</c>; logged as <c>loss_mmd</c>, <c>loss_domain</c>).
    /// </summary>
    /// <param name="source">[n, d] pooled features of the labelled micro-batch.</param>
    /// <param name="target">[m, d] pooled features of the target batch.</param>
    /// <param name="progress">Training progress in [0, 1] (updates done / total) for the λ schedule.</param>
    public Tensor Loss(Tensor source, Tensor target, double progress, LossPartsLog parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        using var scope = NewDisposeScope();
        // Distances and the BCE in fp32 whatever precision the encoder ran in.
        var s = source.to_type(ScalarType.Float32);
        var t = target.to_type(ScalarType.Float32);
        Tensor total = zeros(1, device: s.device).squeeze();
        var logged = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (_options.Mmd.Weight > 0)
        {
            var mmd = MmdLoss.Compute(s, t, _options.Mmd.Multipliers);
            logged["mmd"] = mmd;
            total = total + mmd * _options.Mmd.Weight;
        }
        if (Classifier is not null)
        {
            var lambda = DannLambda.At(_options.Dann.Schedule, _options.Dann.Lambda, progress);
            var features = cat(new[] { s, t }, 0);
            var logits = Classifier.Forward(GradientReversal.Apply(features, lambda));
            var domains = cat(new[] { zeros(s.shape[0], device: s.device), ones(t.shape[0], device: t.device) }, 0);
            var bce = nn.functional.binary_cross_entropy_with_logits(logits, domains);
            logged["domain"] = bce;
            total = total + bce * _options.Dann.Weight;
        }
        parts.Add(logged);
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>Writes the domain classifier into <paramref name="folder"/> (nothing without DANN).</summary>
    public void Save(string folder)
    {
        if (Classifier is null) return;
        SafetensorsWriter.Write(Path.Combine(folder, FileName),
            Classifier.state_dict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.cpu())),
            new Dictionary<string, string> { ["format"] = "acclimate-domain-classifier-1" });
    }

    /// <summary>Restores the domain classifier from a checkpoint folder written by <see cref="Save"/>.</summary>
    public void Load(string folder)
    {
        if (Classifier is null) return;
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new CheckpointException($"{path}: not found; the checkpoint was not written by a run with adaptation.dann (resume with the recipe the run was started with).");
        using var file = SafetensorsFile.Open(path);
        using var _ = no_grad();
        foreach (var (name, target) in Classifier.state_dict())
        {
            if (!file.Contains(name)) throw new CheckpointException($"{path}: tensor '{name}' is missing.");
            using var value = file.ReadTensor(name);
            if (!value.shape.SequenceEqual(target.shape))
                throw new CheckpointException($"{path}: tensor '{name}' has shape [{string.Join(", ", value.shape)}], the domain classifier [{string.Join(", ", target.shape)}] (was adaptation.dann.hidden changed?).");
            target.copy_(value);
        }
    }

    public void Dispose() => Classifier?.Dispose();
}
