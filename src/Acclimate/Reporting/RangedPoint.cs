namespace Acclimate.Reporting;

/// <summary>
/// A labelled point of <see cref="Plots.RangedPoints"/>: its mean position, the individual
/// observations it summarises (drawn small), and whether it belongs to the highlighted set.
/// </summary>
/// <param name="Label">Text written beside the point.</param>
/// <param name="X">Mean x.</param>
/// <param name="Y">Mean y.</param>
/// <param name="Observations">The observations the mean is taken over (their x and y ranges are drawn as bars).</param>
/// <param name="Highlighted">Drawn filled and joined by the highlight line (e.g. the Pareto set).</param>
public sealed record RangedPoint(string Label, double X, double Y, IReadOnlyList<(double X, double Y)> Observations, bool Highlighted);
