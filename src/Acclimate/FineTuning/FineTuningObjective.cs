using System.Text.Json.Nodes;
using Acclimate.FineTuning.Adversarial;
using Acclimate.FineTuning.DomainAdaptation;
using Acclimate.FineTuning.Recipes;
using Acclimate.Models;
using Acclimate.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// What a fine-tuning step computes, for any <see cref="IFineTuningTask{TModel, TItem, TBatch, TExample}"/>:
/// the task's loss, with the recipe's optional wrappers around it, each written once here:
/// <list type="bullet">
/// <item><c>mixup:</c> the task loss replaced by <see cref="MixupLoss"/> on the pass's pooled representations;</item>
/// <item><c>adaptation:</c> + weight·MMD² / DANN (<see cref="DomainAlignment"/>) between the pass's
/// features and those of an unlabeled target batch;</item>
/// <item><c>adversarial:</c> FGM / PGD on the word embeddings (<see cref="EmbeddingAdversary"/>) after
/// the normal backward, on the plain loss.</item>
/// </list>
/// With none of them, the loss is exactly the task's plain <see cref="IFineTuningTask{TModel, TItem, TBatch, TExample}.Loss"/>
/// with no hooks, so plain runs are unchanged bit for bit.
/// </summary>
internal sealed class FineTuningObjective<TModel, TItem, TBatch, TExample> : IDisposable where TModel : TransformerModel
{
    private readonly IFineTuningTask<TModel, TItem, TBatch, TExample> _task;
    private readonly TModel _model;
    private readonly MixupOptions? _mixup;
    private readonly DomainAlignment? _alignment;
    private readonly ITargetFeatures? _targets;
    private readonly EmbeddingAdversary? _adversary;

    public FineTuningObjective(FineTuneRecipe recipe, IFineTuningTask<TModel, TItem, TBatch, TExample> task, TModel model)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        _task = task ?? throw new ArgumentNullException(nameof(task));
        _model = model ?? throw new ArgumentNullException(nameof(model));
        if (recipe.Mixup.Enabled) _mixup = recipe.Mixup;
        if (recipe.Adaptation.Enabled)
        {
            _targets = task.DomainTargets(model);
            _alignment = new DomainAlignment(recipe.Adaptation, model.Config.HiddenSize, task.Device);
        }
        if (recipe.Adversarial.Method != AdversarialMethod.None)
            _adversary = new EmbeddingAdversary(() => EmbeddingAdversary.WordEmbeddings(model, model.BackboneName), recipe.Adversarial);
        if (_alignment is not null || _adversary is not null || _mixup is not null) Parts = new LossPartsLog();
    }

    /// <summary>The loss parts (<c>task</c>, <c>mmd</c>, <c>domain</c>, <c>adv</c>) for the loop's log; null for a plain run.</summary>
    public LossPartsLog? Parts { get; }

    /// <summary>Target examples (chunks) the run adapts to; 0 without adaptation.</summary>
    public int TargetExamples => _targets?.Count ?? 0;

    /// <summary>Every parameter the optimizer trains: the model's, then the domain classifier's.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() =>
        _alignment is null ? _model.named_parameters() : _model.named_parameters().Concat(_alignment.NamedParameters());

    /// <summary>The loop's model: <paramref name="inner"/>, plus the domain classifier in checkpoints when DANN is on.</summary>
    public ITrainableModel Trainable(ITrainableModel inner) => _alignment?.Classifier is null ? inner : new AdaptedTrainable(inner, _alignment);

    /// <summary>The training loss of one micro-batch at <paramref name="progress"/> (updates done / total).</summary>
    public Tensor Loss(TBatch batch, double progress)
    {
        if (Parts is null) return _task.Loss(_model, batch);
        using var scope = NewDisposeScope();
        var pass = _task.Pass(_model, batch);
        var task = _mixup is null ? pass.TaskLoss()
            : MixupLoss.Compute(pass.Mixable ?? throw new InvalidOperationException("mixup is on but the task gives nothing to mix."), _mixup.Alpha);
        Parts.Add(new Dictionary<string, Tensor> { ["task"] = task });
        var total = task;
        if (_alignment is not null)
        {
            var source = pass.Features();
            var target = _targets!.Next();
            total = total + _alignment.Loss(source, target, progress, Parts);
        }
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>The loop's backward hook: FGM / PGD after the normal backward; null without adversarial training.</summary>
    public Action<TBatch, Tensor, double>? Backward => _adversary is null ? null : (batch, loss, scale) =>
    {
        var adversarial = _adversary.Backward(loss, scale, _task.InputIds(batch), () => _task.Loss(_model, batch));
        if (adversarial is not null) Parts!.Add(new Dictionary<string, Tensor> { ["adv"] = adversarial });
    };

    /// <summary>The target-batch position for trainer_state.json (null without adaptation).</summary>
    public Func<JsonNode?>? SaveState => _targets is null ? null : () => _targets.SaveState();

    /// <summary>Restores the position <see cref="SaveState"/> wrote (null without adaptation).</summary>
    public Action<JsonNode?>? RestoreState => _targets is null ? null : _targets.RestoreState;

    public void Dispose()
    {
        _alignment?.Dispose();
        Parts?.Dispose();
    }
}
