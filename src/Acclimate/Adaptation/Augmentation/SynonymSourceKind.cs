namespace Acclimate.Adaptation.Augmentation;

/// <summary>Where EDA's synonyms come from.</summary>
public enum SynonymSourceKind
{
    /// <summary>WordNet 3.1 (<see cref="WordNetDictionary"/>): English.</summary>
    WordNet,

    /// <summary>Nearest neighbours in a model's input-embedding space (<see cref="EmbeddingNeighbourSynonyms"/>): any language the vocabulary covers.</summary>
    Embeddings,
}
