using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>How an ensemble combines its members.</summary>
public enum EnsembleMethod
{
    /// <summary>
    /// Average then decode once: when every member has a CRF, the mean of the emissions decoded by
    /// Viterbi with the mean transition scores; otherwise the mean of the per-word label
    /// probabilities (softmax, or a CRF member's marginals), argmax.
    /// </summary>
    Average,

    /// <summary>
    /// Each member decodes alone; an entity is kept when a majority of members predict it exactly
    /// (type and span), overlaps resolved by votes. Plain tags (POS): per-word majority label.
    /// </summary>
    Vote,
}
