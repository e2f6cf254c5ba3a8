using System.Text.Json.Nodes;
using Acclimate.FineTuning.Adversarial;
using Acclimate.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// What a tagger's training step computes, with the recipe's optional extras around the weighted
/// task loss (<see cref="WeightedTaggingLoss"/>): MMD / DANN against an unlabeled target batch
/// (<c>adaptation:</c>) on the mean of each sentence's last-layer token features over its real
/// tokens, and FGM / PGD on the word embeddings (<c>adversarial:</c>). With neither, it is exactly
/// the plain loss with no hooks, so plain runs are unchanged bit for bit.
/// </summary>
internal sealed class TaggingObjective : IDisposable
{
    private readonly SequenceLabeler _labeler;
    private readonly DomainAlignment? _alignment;
    private readonly TargetBatches<LabelerInput>? _targets;
    private readonly EmbeddingAdversary? _adversary;

    public TaggingObjective(FineTuneRecipe recipe, SequenceLabeler labeler, WordEncoder words, Device device)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(words);
        _labeler = labeler ?? throw new ArgumentNullException(nameof(labeler));
        if (recipe.Adaptation.Enabled)
        {
            var inputs = new List<LabelerInput>();
            foreach (var sentence in TargetText.ReadSentences(recipe.Adaptation))
                foreach (var (from, to) in words.Chunks(sentence))
                    inputs.Add(words.EncodeTruncated(sentence, from, to));
            _targets = new TargetBatches<LabelerInput>(inputs, recipe.Training.BatchSize, recipe.Training.Seed);
            _alignment = new DomainAlignment(recipe.Adaptation, labeler.Config.HiddenSize, device);
        }
        if (recipe.Adversarial.Method != AdversarialMethod.None)
            _adversary = new EmbeddingAdversary(() => EmbeddingAdversary.WordEmbeddings(labeler, labeler.BackboneName), recipe.Adversarial);
        if (_alignment is not null || _adversary is not null) Parts = new LossPartsLog();
    }

    /// <summary>The loss parts (<c>task</c>, <c>mmd</c>, <c>domain</c>, <c>adv</c>) for the loop's log; null for a plain run.</summary>
    public LossPartsLog? Parts { get; }

    /// <summary>Target examples (chunks) the run adapts to; 0 without adaptation.</summary>
    public int TargetExamples => _targets?.Count ?? 0;

    /// <summary>Every parameter the optimizer trains: the labeler's, then the domain classifier's.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() =>
        _alignment is null ? _labeler.named_parameters() : _labeler.named_parameters().Concat(_alignment.NamedParameters());

    /// <summary>The loop's model: <paramref name="inner"/>, plus the domain classifier in checkpoints when DANN is on.</summary>
    public ITrainableModel Trainable(ITrainableModel inner) => _alignment?.Classifier is null ? inner : new AdaptedTrainable(inner, _alignment);

    /// <summary>The training loss of one micro-batch at <paramref name="progress"/> (updates done / total).</summary>
    public Tensor Loss(TaggingBatch batch, double progress)
    {
        if (Parts is null) return WeightedTaggingLoss.Compute(_labeler, batch);
        using var scope = NewDisposeScope();
        var output = _labeler.Run(batch.Batch);
        var task = WeightedTaggingLoss.Compute(_labeler, batch, output);
        Parts.Add(new Dictionary<string, Tensor> { ["task"] = task });
        var total = task;
        if (_alignment is not null)
        {
            var source = MeanPoolingClassificationHead.MeanPool(output.Encoder.LastHiddenState, batch.Batch.AttentionMask);
            var targetBatch = _labeler.Collate(_targets!.Next());
            var target = MeanPoolingClassificationHead.MeanPool(_labeler.Encoder.Forward(targetBatch.InputIds, targetBatch.AttentionMask).LastHiddenState, targetBatch.AttentionMask);
            total = total + _alignment.Loss(source, target, progress, Parts);
        }
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>The loop's backward hook: FGM / PGD after the normal backward; null without adversarial training.</summary>
    public Action<TaggingBatch, Tensor, double>? Backward => _adversary is null ? null : (batch, loss, scale) =>
    {
        var adversarial = _adversary.Backward(loss, scale, batch.Batch.InputIds, () => WeightedTaggingLoss.Compute(_labeler, batch));
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
