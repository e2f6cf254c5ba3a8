using System.Text.Json.Nodes;
using Acclimate.Models;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// What one fine-tuning task (token classification, sequence classification) brings to the shared
/// <see cref="FineTuningTrainer"/>: the model it starts from, how its encoded examples are collated
/// into a batch, its loss (plain, and as a <see cref="TaskPass"/> that the recipe's mixup / domain
/// alignment wrap), how a model is saved, and how the dev set is predicted and scored. The trainer
/// owns everything that is the same for every task: seeding, batch order, the optimizer, LoRA, the
/// loss wrappers of <see cref="FineTuningObjective{TModel, TItem, TBatch, TExample}"/>, the epoch loop, dev scoring,
/// the best checkpoint, early stopping and resume.
/// </summary>
/// <typeparam name="TModel">The model being fine-tuned.</typeparam>
/// <typeparam name="TItem">One encoded training example (token ids and labels).</typeparam>
/// <typeparam name="TBatch">A collated micro-batch of items.</typeparam>
/// <typeparam name="TExample">One gold dev example, as the task reads it.</typeparam>
internal interface IFineTuningTask<TModel, TItem, TBatch, TExample> where TModel : TransformerModel
{
    /// <summary>Where the model and its batches live (training.device resolved).</summary>
    Device Device { get; }

    /// <summary>The dev metric that picks the best checkpoint (larger is better).</summary>
    string BestMetric { get; }

    /// <summary>Every dev metric <see cref="Evaluate"/> reports; <see cref="BestMetric"/> must be one of them.</summary>
    IReadOnlyCollection<string> DevMetrics { get; }

    /// <summary>The model to fine-tune: the pretrained encoder with a new head (drawn from torch's generator), on <see cref="Device"/>.</summary>
    TModel CreateModel();

    /// <summary>How the training loop saves and restores <paramref name="model"/> (checkpoints and the best model).</summary>
    ITrainableModel Trainable(TModel model);

    /// <summary>The optimizer group (and learning rate) of each of <paramref name="model"/>'s parameters.</summary>
    Func<string, ParameterGroupChoice> ParameterGroups(TModel model);

    /// <summary>One padded micro-batch of <paramref name="items"/> on <see cref="Device"/>.</summary>
    TBatch Collate(TModel model, IReadOnlyList<TItem> items);

    /// <summary>Real tokens in a batch (for the loop's throughput log); null when the task does not count them.</summary>
    Func<TBatch, long>? CountTokens { get; }

    /// <summary>The plain training loss of one micro-batch (also the adversarial pass's loss).</summary>
    Tensor Loss(TModel model, TBatch batch);

    /// <summary>The forward pass of one micro-batch, from which the loss wrappers take the task loss and the features they need.</summary>
    TaskPass Pass(TModel model, TBatch batch);

    /// <summary>The token ids of a batch [B, L] (their word-embedding rows are what FGM / PGD perturb).</summary>
    Tensor InputIds(TBatch batch);

    /// <summary>The unlabeled target examples of <c>adaptation.target_text</c>, as features of the same kind <see cref="TaskPass.Features"/> gives.</summary>
    ITargetFeatures DomainTargets(TModel model);

    /// <summary>Predicts the dev set with <paramref name="model"/> and scores it (after every epoch).</summary>
    IEvaluationScores Evaluate(TModel model, IReadOnlyList<TExample> dev);

    /// <summary>Turns the task's dev scores into JSON kept in checkpoints (null: only the metric values are kept).</summary>
    Func<IEvaluationScores, JsonNode?>? SaveScores { get; }

    /// <summary>Rebuilds the scores <see cref="SaveScores"/> wrote, when a run resumes.</summary>
    Func<JsonNode, IEvaluationScores>? RestoreScores { get; }
}

/// <summary>
/// One micro-batch's forward pass as the loss wrappers see it. Each part is computed only when a
/// wrapper asks for it, and in the order it asks, so that a run without a wrapper draws the same
/// random numbers (dropout, mixup) in the same order as before.
/// </summary>
/// <param name="TaskLoss">The task's own loss on the batch.</param>
/// <param name="Features">[B, H] one vector per example, aligned with the target's by MMD / DANN.</param>
internal sealed record TaskPass(Func<Tensor> TaskLoss, Func<Tensor> Features)
{
    /// <summary>What mixup mixes (sequence classification): null for a task that cannot be mixed.</summary>
    public MixupInputs? Mixable { get; init; }
}

/// <summary>The pooled representations [B, H] of a batch, its labels [B] and the head that classifies mixed representations.</summary>
internal sealed record MixupInputs(Tensor Pooled, Tensor Labels, Func<Tensor, Tensor> Classify);

/// <summary>
/// The unlabeled target batches of feature alignment, one per training micro-batch, turned into
/// features by the model being trained; the position in the stream is the state a resumed run needs.
/// </summary>
internal interface ITargetFeatures
{
    /// <summary>Target examples (after chunking) the run adapts to.</summary>
    int Count { get; }

    /// <summary>The next target batch's features [m, H] (the model runs on it).</summary>
    Tensor Next();

    /// <summary>The stream's position for trainer_state.json.</summary>
    JsonNode SaveState();

    /// <summary>Restores a position written by <see cref="SaveState"/>.</summary>
    void RestoreState(JsonNode? state);
}
