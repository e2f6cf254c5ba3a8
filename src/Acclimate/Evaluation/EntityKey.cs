namespace Acclimate.Evaluation;

/// <summary>
/// One entity as seqeval compares them: the same sentence, type, start and end make a match.
/// Default mode numbers tokens over the joined corpus and leaves <see cref="Sentence"/> at 0.
/// </summary>
internal readonly record struct EntityKey(int Sentence, string Type, int Start, int End);
