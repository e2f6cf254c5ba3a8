namespace Acclimate.Data.Corpora;

/// <summary>One sentence (one line) of a Brown document, with the line it came from.</summary>
public sealed record BrownSentence(int LineNumber, IReadOnlyList<PosToken> Tokens);
