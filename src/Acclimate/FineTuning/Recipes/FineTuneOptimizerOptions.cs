using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>
/// The <c>optimizer:</c> section: learning rates of the head and the CRF apart from the encoder's
/// (<c>training.learning_rate</c>), and layer-wise decay of the encoder's rates.
/// </summary>
public sealed record FineTuneOptimizerOptions : IValidatedOptions
{
    /// <summary>Peak rate of the head (fusion, LSTM/CNN, classifier); 0 = training.learning_rate.</summary>
    public double HeadLearningRate { get; init; }

    /// <summary>Peak rate of the CRF's transition scores (usually larger); 0 = the head's rate.</summary>
    public double CrfLearningRate { get; init; }

    /// <summary>Layer-wise decay: encoder layer i of L trains at lr × decay^(L − i), embeddings at lr × decay^(L + 1); 1 = off.</summary>
    public double LayerDecay { get; init; } = 1.0;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (HeadLearningRate < 0) yield return $"head_learning_rate must be >= 0 (got {HeadLearningRate})";
        if (CrfLearningRate < 0) yield return $"crf_learning_rate must be >= 0 (got {CrfLearningRate})";
        if (!(LayerDecay > 0 && LayerDecay <= 1)) yield return $"layer_decay must be in (0, 1] (got {LayerDecay})";
    }
}
