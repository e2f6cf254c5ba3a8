using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using static TorchSharp.torch;

namespace Acclimate.Training;

/// <summary>
/// A <see cref="TransformerModel"/> as a training target: checkpoints are HF folders written by
/// <see cref="PretrainedModel.Save"/> (plus the tokenizer's files when a writer is given), and
/// resuming reloads them with <see cref="PretrainedModel.LoadWeights"/>, insisting on an exact match.
/// </summary>
public sealed class HfTrainableModel : ITrainableModel
{
    private readonly Action<string>? _saveTokenizer;

    /// <param name="model">The model being trained (not owned: the caller disposes it).</param>
    /// <param name="saveTokenizer">Writes the tokenizer files into a folder, so checkpoints are complete HF folders.</param>
    public HfTrainableModel(TransformerModel model, Action<string>? saveTokenizer = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _saveTokenizer = saveTokenizer;
    }

    /// <summary>The model being trained.</summary>
    public TransformerModel Model { get; }

    /// <inheritdoc />
    public nn.Module Module => Model;

    /// <inheritdoc />
    public void Save(string folder) => PretrainedModel.Save(Model, folder, _saveTokenizer);

    /// <inheritdoc />
    public void Load(string folder)
    {
        var report = PretrainedModel.LoadWeights(Model, folder);
        if (report.MissingKeys.Count > 0)
            throw new CheckpointException($"{folder}: the checkpoint lacks {report.MissingKeys.Count} of the model's tensors " +
                $"({string.Join(", ", report.MissingKeys.Take(5))}{(report.MissingKeys.Count > 5 ? ", …" : "")}); it was not written for this model.");
    }
}
