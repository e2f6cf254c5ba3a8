namespace Acclimate.Adaptation.Augmentation;

/// <summary>Where EDA's synonym replacement and insertion get their words: a lexicon (WordNet) or an embedding space.</summary>
public interface ISynonymSource
{
    /// <summary>
    /// Words that may stand for <paramref name="word"/>, best or most common first, never the word
    /// itself (ignoring case); empty when there are none. A synonym may be several words separated by
    /// spaces (WordNet's <c>domestic dog</c>).
    /// </summary>
    IReadOnlyList<string> SynonymsOf(string word);
}
