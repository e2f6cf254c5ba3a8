using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>What a fine-tuning run trains.</summary>
public enum FineTuneTask
{
    /// <summary>One label per word (NER, POS): a <see cref="SequenceLabeler"/>.</summary>
    TokenClassification,

    /// <summary>One label per text or text pair: an encoder with a pooled classification head.</summary>
    SequenceClassification,
}
