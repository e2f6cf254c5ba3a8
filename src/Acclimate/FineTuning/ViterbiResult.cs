namespace Acclimate.FineTuning;

/// <summary>
/// The best tag path of each sequence (length = the sequence's number of real positions) and its
/// score (emissions plus start, transition and end scores along the path).
/// </summary>
internal sealed record ViterbiResult(IReadOnlyList<int[]> Paths, double[] Scores);
