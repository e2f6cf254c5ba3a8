namespace Acclimate.Tokenization.Vocabulary;

/// <summary>What a vocabulary tool is doing: a stage name and how far it is (Total is null when unknown).</summary>
public readonly record struct VocabularyProgress(string Stage, long Done, long? Total);
