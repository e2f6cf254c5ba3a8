using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Tokenization;
using Acclimate.Training;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>A <see cref="SequenceLabeler"/> as a <see cref="TrainingLoop{TBatch}"/> target: checkpoints and the best model are labeler folders with the tokenizer's files.</summary>
internal sealed class LabelerTrainable : ITrainableModel
{
    private readonly ITextTokenizer? _tokenizer;

    private readonly TaggingModelInfo? _info;

    public LabelerTrainable(SequenceLabeler labeler, ITextTokenizer? tokenizer, TaggingModelInfo? info = null)
    {
        Labeler = labeler ?? throw new ArgumentNullException(nameof(labeler));
        _tokenizer = tokenizer;
        _info = info;
    }

    public SequenceLabeler Labeler { get; }

    /// <inheritdoc />
    public nn.Module Module => Labeler;

    /// <inheritdoc />
    public void Save(string folder)
    {
        Labeler.WriteInto(folder, _tokenizer is null ? null : _tokenizer.SaveTo);
        _info?.Save(folder);
    }

    /// <inheritdoc />
    public void Load(string folder)
    {
        using var saved = SequenceLabeler.Load(folder);
        var source = saved.state_dict();
        using var _ = no_grad();
        foreach (var (name, target) in Labeler.state_dict())
        {
            if (Models.Lora.LoraModel.IsAdapterKey(name)) continue;   // a LoRA adapter is restored from its own files

            if (!source.TryGetValue(name, out var value) || !value.shape.SequenceEqual(target.shape))
                throw new CheckpointException($"{folder}: tensor '{name}' is missing or has another shape; the checkpoint was not written for this labeler.");
            target.copy_(value);
        }
    }
}
