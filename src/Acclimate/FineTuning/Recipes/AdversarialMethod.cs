using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>Adversarial training on the word embeddings (recipe key <c>adversarial.method</c>).</summary>
public enum AdversarialMethod
{
    /// <summary>No adversarial training.</summary>
    None,
    /// <summary>Fast gradient method (Miyato et al. 2017): one step of ε·g/‖g‖.</summary>
    Fgm,
    /// <summary>Projected gradient descent (Madry et al. 2018): K steps of α·g/‖g‖ projected onto the ε-ball.</summary>
    Pgd,
}
