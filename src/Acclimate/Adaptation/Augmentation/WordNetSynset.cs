namespace Acclimate.Adaptation.Augmentation;

/// <summary>One WordNet synset: its byte offset in its data file, part of speech and member words (underscores as in the file).</summary>
public sealed record WordNetSynset(long Offset, WordNetPartOfSpeech PartOfSpeech, IReadOnlyList<string> Words, string Gloss);
