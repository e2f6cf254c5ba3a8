namespace Acclimate.Reporting;

/// <summary>
/// One named line (or set of points) for <see cref="Plots"/>.Lines: x and y values of equal
/// length. <see cref="MarkersOnly"/> draws the points without joining them (e.g. sparse
/// evaluation results over a dense training curve).
/// </summary>
public sealed record PlotSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool MarkersOnly = false)
{
    /// <summary>A series from (x, y) pairs.</summary>
    public static PlotSeries From(string label, IEnumerable<(double X, double Y)> points, bool markersOnly = false)
    {
        var list = points.ToList();
        return new PlotSeries(label, list.Select(p => p.X).ToArray(), list.Select(p => p.Y).ToArray(), markersOnly);
    }
}
