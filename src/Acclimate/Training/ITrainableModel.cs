using static TorchSharp.torch;

namespace Acclimate.Training;

/// <summary>
/// What <see cref="TrainingLoop{TBatch}"/> trains: a module (for train/eval mode) and how to write
/// its weights into a checkpoint folder and read them back. <see cref="HfTrainableModel"/> covers
/// one HF model; an objective with two networks (ELECTRA's generator and discriminator) implements
/// this to save both.
/// </summary>
public interface ITrainableModel
{
    /// <summary>The module whose <c>train()</c>/<c>eval()</c> mode the loop switches.</summary>
    nn.Module Module { get; }

    /// <summary>Writes the weights (and config, tokenizer…) into <paramref name="folder"/>, which exists.</summary>
    void Save(string folder);

    /// <summary>Restores every weight from a folder written by <see cref="Save"/>; fails if any is missing.</summary>
    void Load(string folder);
}
