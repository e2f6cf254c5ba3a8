using System.Text.Json.Nodes;
using Acclimate.Data.Datasets;
using Acclimate.FineTuning.Adversarial;
using Acclimate.Models;
using Acclimate.Tokenization;
using Acclimate.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;

namespace Acclimate.FineTuning.Classification;

/// <summary>
/// What a sequence classifier's training step computes, with the recipe's optional extras: mixup
/// of the pooled representations (<c>mixup:</c>), MMD / DANN on the pooled representation the head
/// classifies against an unlabeled target batch (<c>adaptation:</c>), and FGM / PGD on the word
/// embeddings (<c>adversarial:</c>; its extra pass is on the plain, unmixed loss). With none of
/// them, it is exactly the model's own loss with no hooks.
/// </summary>
internal sealed class ClassificationObjective : IDisposable
{
    private readonly TransformerModel _model;
    private readonly IPooledClassifier _pooled;
    private readonly MixupOptions _mixup;
    private readonly DomainAlignment? _alignment;
    private readonly TargetBatches<long[]>? _targets;
    private readonly EmbeddingAdversary? _adversary;
    private readonly Device _device;

    public ClassificationObjective(FineTuneRecipe recipe, TransformerModel model, ITextTokenizer tokenizer, Device device)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _pooled = model as IPooledClassifier ?? throw new ArgumentException($"{model.GetType().Name} does not expose its pooled representation.", nameof(model));
        _mixup = recipe.Mixup;
        _device = device;
        if (recipe.Adaptation.Enabled)
        {
            var path = recipe.Adaptation.TargetText!;
            var ids = TargetText.ReadTexts(recipe.Adaptation)
                .Select((text, i) => ClassificationRun.Encode(tokenizer, new ClassificationExample(text, null, "", path, i + 1), recipe.Model)).ToList();
            _targets = new TargetBatches<long[]>(ids, recipe.Training.BatchSize, recipe.Training.Seed);
            _alignment = new DomainAlignment(recipe.Adaptation, model.Config.HiddenSize, device);
        }
        if (recipe.Adversarial.Method != AdversarialMethod.None)
            _adversary = new EmbeddingAdversary(() => EmbeddingAdversary.WordEmbeddings(model, model.BackboneName), recipe.Adversarial);
        if (_alignment is not null || _adversary is not null || _mixup.Enabled) Parts = new LossPartsLog();
    }

    /// <summary>The loss parts (<c>task</c>, <c>mmd</c>, <c>domain</c>, <c>adv</c>) for the loop's log; null for a plain run.</summary>
    public LossPartsLog? Parts { get; }

    /// <summary>Every parameter the optimizer trains: the classifier's, then the domain classifier's.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() =>
        _alignment is null ? _model.named_parameters() : _model.named_parameters().Concat(_alignment.NamedParameters());

    /// <summary>The loop's model: <paramref name="inner"/>, plus the domain classifier in checkpoints when DANN is on.</summary>
    public ITrainableModel Trainable(ITrainableModel inner) => _alignment?.Classifier is null ? inner : new AdaptedTrainable(inner, _alignment);

    /// <summary>The training loss of one micro-batch at <paramref name="progress"/> (updates done / total).</summary>
    public Tensor Loss(ModelInputs batch, double progress)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Parts is null) return _model.Forward(batch).Loss!;
        using var scope = NewDisposeScope();
        var mask = batch.AttentionMask ?? ones_like(batch.InputIds);
        var labels = batch.Labels!.reshape(-1).to(ScalarType.Int64);
        var pooled = _pooled.Pool(_model.Encoder.Forward(batch.InputIds, mask, batch.TokenTypeIds), mask);
        var task = _mixup.Enabled ? MixedLoss(pooled, labels) : nn.functional.cross_entropy(_pooled.Classify(pooled), labels);
        Parts.Add(new Dictionary<string, Tensor> { ["task"] = task });
        var total = task;
        if (_alignment is not null)
        {
            var rows = _targets!.Next();
            var targetBatch = ClassificationRun.Collate(rows, _model.Config.PadTokenId, null, _device);
            var targetMask = targetBatch.AttentionMask!;
            var target = _pooled.Pool(_model.Encoder.Forward(targetBatch.InputIds, targetMask), targetMask);
            total = total + _alignment.Loss(pooled, target, progress, Parts);
        }
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mixup on the representations: λ ~ Beta(α, α) (torch's generator, so a resumed run draws the
    /// same λ), partner = a random permutation of the batch; the cross-entropy against the mixed
    /// one-hot labels, which is λ·CE(y) + (1−λ)·CE(y′).
    /// </summary>
    internal Tensor MixedLoss(Tensor pooled, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var lambda = SampleLambda(_mixup.Alpha, pooled.device);
        var partner = randperm(pooled.shape[0], device: pooled.device);
        var mixed = pooled * lambda + pooled.index_select(0, partner) * (1 - lambda);
        var logits = _pooled.Classify(mixed);
        var loss = nn.functional.cross_entropy(logits, labels) * lambda + nn.functional.cross_entropy(logits, labels.index_select(0, partner)) * (1 - lambda);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>One draw of Beta(α, α) as Gamma(α)/(Gamma(α) + Gamma(α)) on torch's generator.</summary>
    internal static double SampleLambda(double alpha, Device device)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var concentration = full(2, alpha, dtype: ScalarType.Float64, device: device);
        var gammas = _standard_gamma(concentration);
        return (gammas[0] / gammas.sum()).item<double>();
    }

    /// <summary>The loop's backward hook: FGM / PGD after the normal backward; null without adversarial training.</summary>
    public Action<ModelInputs, Tensor, double>? Backward => _adversary is null ? null : (batch, loss, scale) =>
    {
        var adversarial = _adversary.Backward(loss, scale, batch.InputIds, () => _model.Forward(batch).Loss!);
        if (adversarial is not null) Parts!.Add(new Dictionary<string, Tensor> { ["adv"] = adversarial });
    };

    /// <summary>The target-batch position for trainer_state.json (null without adaptation).</summary>
    public Func<JsonNode?>? SaveState => _targets is null ? null : () => _targets.SaveState();

    public Action<JsonNode?>? RestoreState => _targets is null ? null : _targets.RestoreState;

    public void Dispose()
    {
        _alignment?.Dispose();
        Parts?.Dispose();
    }
}
