namespace Acclimate.Adaptation.Selection;

/// <summary>
/// One pool document a selector picked: its line index in the pool, the score it was ranked by
/// (higher is more target-like for every method), and the target example that pulled it in (for
/// nearest-neighbour methods; null for whole-set scores such as cross-entropy difference).
/// </summary>
public sealed record SelectedDocument(int PoolIndex, double Score, int? Target);
