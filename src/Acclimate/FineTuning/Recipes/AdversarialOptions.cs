using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>
/// The <c>adversarial:</c> section: after each micro-batch's normal backward pass, perturb the
/// rows of the word-embedding matrix the batch uses along their gradient, run forward and backward
/// again on the perturbed embeddings (adding to the gradients), and restore the embeddings exactly.
/// </summary>
public sealed record AdversarialOptions : IValidatedOptions
{
    /// <summary>Which adversarial method perturbs the embeddings (none = off).</summary>
    public AdversarialMethod Method { get; init; } = AdversarialMethod.None;

    /// <summary>Size (L2 norm over the perturbed rows) of the FGM step, or radius of PGD's ball.</summary>
    public double Epsilon { get; init; } = 1.0;

    /// <summary>PGD: number of ascent steps K (required with pgd).</summary>
    public int Steps { get; init; }

    /// <summary>PGD: size of each ascent step.</summary>
    public double Alpha { get; init; } = 0.3;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (Method == AdversarialMethod.None) yield break;
        if (!(Epsilon > 0) || double.IsInfinity(Epsilon)) yield return $"epsilon must be a finite number > 0 (got {Epsilon})";
        if (Method == AdversarialMethod.Pgd)
        {
            if (Steps < 1) yield return $"method pgd needs steps >= 1, the number of ascent steps (got {Steps})";
            if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"pgd alpha must be a finite number > 0 (got {Alpha})";
        }
        else if (Steps != 0) yield return $"steps applies to pgd only (method is {Method.ToString().ToLowerInvariant()})";
    }
}
