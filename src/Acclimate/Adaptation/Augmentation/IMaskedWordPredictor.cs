namespace Acclimate.Adaptation.Augmentation;

/// <summary>A word a masked language model proposes for a masked position, with its probability under the model.</summary>
public readonly record struct WordCandidate(string Word, double Probability);

/// <summary>
/// Proposes replacements for masked words from their context: what contextual substitution asks a
/// masked language model (<see cref="MaskedLmWordPredictor"/>).
/// </summary>
public interface IMaskedWordPredictor
{
    /// <summary>
    /// For each index in <paramref name="masked"/>, up to <paramref name="topK"/> whole words for that
    /// position, most probable first, with every masked word hidden from the model at once; a
    /// candidate never equals the word it replaces (ignoring case).
    /// </summary>
    IReadOnlyList<IReadOnlyList<WordCandidate>> Predict(IReadOnlyList<string> words, IReadOnlyList<int> masked, int topK);
}
