using Acclimate.Training;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.DomainAdaptation;

/// <summary>
/// A model being fine-tuned together with the training-only domain classifier of DANN: checkpoints
/// hold the model exactly as <paramref name="inner"/> writes it, plus
/// <see cref="DomainAlignment.FileName"/> beside it, which the model loaders ignore (a saved tagger
/// or classifier loads and predicts as without adaptation); resuming restores both.
/// </summary>
internal sealed class AdaptedTrainable(ITrainableModel inner, DomainAlignment alignment) : ITrainableModel
{
    private readonly ITrainableModel _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly DomainAlignment _alignment = alignment ?? throw new ArgumentNullException(nameof(alignment));

    /// <inheritdoc />
    public nn.Module Module => _inner.Module;

    /// <inheritdoc />
    public void Save(string folder)
    {
        _inner.Save(folder);
        _alignment.Save(folder);
    }

    /// <inheritdoc />
    public void Load(string folder)
    {
        _inner.Load(folder);
        _alignment.Load(folder);
    }
}
