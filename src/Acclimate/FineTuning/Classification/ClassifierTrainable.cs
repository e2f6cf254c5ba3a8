using Acclimate.Models;
using Acclimate.Tokenization;
using Acclimate.Training;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Classification;

/// <summary>A sequence classifier (pooler or mean pooling) as a training-loop target: checkpoints are <see cref="ClassifierFolder"/> folders.</summary>
internal sealed class ClassifierTrainable : ITrainableModel
{
    private readonly TransformerModel _model;
    private readonly ITextTokenizer _tokenizer;

    private readonly ClassificationModelInfo? _info;

    public ClassifierTrainable(TransformerModel model, ITextTokenizer tokenizer, ClassificationModelInfo? info = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _info = info;
    }

    /// <inheritdoc />
    public nn.Module Module => _model;

    /// <inheritdoc />
    public void Save(string folder)
    {
        ClassifierFolder.Save(_model, folder, _tokenizer.SaveTo);
        _info?.Save(folder);
    }

    /// <inheritdoc />
    public void Load(string folder) => new HfTrainableModel(_model).Load(folder);
}
