using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// ELECTRA's generator + discriminator as one training target. A checkpoint folder is the
/// discriminator as an HF ElectraForPreTraining folder (fine-tunable as it is) with the generator
/// as an HF ElectraForMaskedLM folder in its <c>generator/</c> sub-folder.
/// </summary>
internal sealed class ElectraTrainableModel : ITrainableModel
{
    public const string GeneratorFolder = ElectraPretrainingModel.GeneratorFolder;
    private readonly Action<string>? _saveTokenizer;

    public ElectraTrainableModel(ElectraPretrainingModel model, Action<string>? saveTokenizer = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _saveTokenizer = saveTokenizer;
    }

    public ElectraPretrainingModel Model { get; }

    /// <inheritdoc />
    public nn.Module Module => Model;

    /// <inheritdoc />
    public void Save(string folder)
    {
        Model.SaveDiscriminator(folder, _saveTokenizer);
        Model.SaveGenerator(Path.Combine(folder, GeneratorFolder), _saveTokenizer);
    }

    /// <inheritdoc />
    public void Load(string folder)
    {
        Check(folder, PretrainedModel.LoadWeights(Model.Discriminator, folder));
        // The generator's embeddings are the discriminator's tensors; its file holds the same values.
        var generatorFolder = Path.Combine(folder, GeneratorFolder);
        Check(generatorFolder, PretrainedModel.LoadWeights(Model.Generator, generatorFolder));
    }

    private static void Check(string folder, LoadReport report)
    {
        if (report.MissingKeys.Count > 0)
            throw new CheckpointException($"{folder}: the checkpoint lacks {report.MissingKeys.Count} of the model's tensors " +
                $"({string.Join(", ", report.MissingKeys.Take(5))}{(report.MissingKeys.Count > 5 ? ", …" : "")}); it was not written for this model.");
    }
}
