using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>How a sequence classifier turns the encoder's output into one vector.</summary>
public enum ClassificationPooling
{
    /// <summary>BERT's pooler (tanh dense over [CLS]) or, for RoBERTa/ELECTRA, HF's first-token head.</summary>
    Pooler,

    /// <summary>The mean of the last hidden states over real tokens (<see cref="MeanPoolingClassificationHead"/>).</summary>
    Mean,
}
