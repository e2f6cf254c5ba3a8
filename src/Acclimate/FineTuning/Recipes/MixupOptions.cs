using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>
/// The <c>mixup:</c> section (sequence classification only): each batch's pooled representations
/// and one-hot labels are mixed with those of a shuffled copy of the batch, x̃ = λx + (1−λ)x′,
/// ỹ = λy + (1−λ)y′, with λ ~ Beta(α, α) drawn once per batch (Zhang et al. 2018, on hidden
/// features as in Verma et al. 2019). α 0 turns it off.
/// </summary>
public sealed record MixupOptions : IValidatedOptions
{
    /// <summary>α of Beta(α, α), from which λ is drawn once per batch (0 = off).</summary>
    public double Alpha { get; init; }

    /// <summary>Whether mixup is on (α &gt; 0).</summary>
    public bool Enabled => Alpha > 0;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (!(Alpha >= 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a finite number >= 0 (got {Alpha})";
    }
}
