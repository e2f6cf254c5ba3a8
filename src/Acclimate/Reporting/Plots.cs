using Acclimate.Errors;
using ScottPlot;
using Acclimate.IO;

namespace Acclimate.Reporting;

/// <summary>
/// PNG figures rendered headless with ScottPlot (SkiaSharp, no display or fontconfig needed):
/// generic line and bar charts, and the training-loss curve of a run. Files are written
/// atomically; non-finite points are left out (a diverged step would otherwise wreck the axes).
/// </summary>
public static class Plots
{
    /// <summary>Default figure width in pixels.</summary>
    public const int DefaultWidth = 800;
    /// <summary>Default figure height in pixels.</summary>
    public const int DefaultHeight = 500;

    // ScottPlot's default family resolves to a serif face on Linux (and so does its Fonts.Sans);
    // pick a common sans family the machine has, else leave ScottPlot's default.
    private static readonly Lazy<string> SansFamily = new(() =>
    {
        var installed = new HashSet<string>(SkiaSharp.SKFontManager.Default.GetFontFamilies(), StringComparer.OrdinalIgnoreCase);
        return new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Segoe UI", "Noto Sans" }.FirstOrDefault(installed.Contains) ?? Fonts.Default;
    });

    /// <summary>A line chart of <paramref name="series"/> (a legend appears when there is more than one).</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, params PlotSeries[] series) =>
        Lines(path, title, xLabel, yLabel, series, DefaultWidth, DefaultHeight);

    /// <summary>As <see cref="Lines(string, string, string, string, PlotSeries[])"/> with a chosen size in pixels.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("a line plot needs at least one series.", nameof(series));
        using var plot = new Plot();
        foreach (var s in series)
        {
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"series '{s.Label}' has {s.X.Count} x values and {s.Y.Count} y values.", nameof(series));
            var points = s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToArray();
            if (points.Length == 0) continue;
            var scatter = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray());
            scatter.LegendText = s.Label;
            if (s.MarkersOnly)
            {
                scatter.LineWidth = 0;
                scatter.MarkerSize = 7;
            }
            else
            {
                scatter.LineWidth = 2;
                scatter.MarkerSize = points.Length <= 30 ? 4 : 0;
            }
        }
        Decorate(plot, title, xLabel, yLabel);
        if (series.Count > 1) plot.ShowLegend(Alignment.UpperRight);
        else plot.HideLegend();
        Save(plot, path, width, height);
    }

    /// <summary>A bar chart: one bar per label, in the given order.</summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> labels, IReadOnlyList<double> values,
        int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        if (labels.Count != values.Count) throw new ArgumentException($"{labels.Count} labels for {values.Count} values.", nameof(labels));
        if (labels.Count == 0) throw new ArgumentException("a bar chart needs at least one bar.", nameof(values));
        using var plot = new Plot();
        var bars = Enumerable.Range(0, values.Count)
            .Select(i => new Bar { Position = i, Value = double.IsFinite(values[i]) ? values[i] : 0, FillColor = Colors.SteelBlue })
            .ToArray();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plot.Axes.Margins(bottom: 0);
        Decorate(plot, title, "", yLabel);
        Save(plot, path, width, height);
    }

    /// <summary>
    /// One column per category with its values as points (e.g. a setting's per-seed scores) and a
    /// short bar at their mean; categories are named on the x axis, in the given order.
    /// </summary>
    public static void Strip(string path, string title, string yLabel, IReadOnlyList<(string Label, IReadOnlyList<double> Values)> categories,
        int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(categories);
        if (categories.Count == 0) throw new ArgumentException("a strip plot needs at least one category.", nameof(categories));
        using var plot = new Plot();
        for (var i = 0; i < categories.Count; i++)
        {
            var values = categories[i].Values.Where(double.IsFinite).ToArray();
            if (values.Length == 0) continue;
            // A small fixed horizontal spread keeps equal values visible as separate points.
            var xs = values.Select((_, k) => i + (values.Length == 1 ? 0 : -0.08 + 0.16 * k / (values.Length - 1))).ToArray();
            var points = plot.Add.Scatter(xs, values);
            points.LineWidth = 0;
            points.MarkerSize = 9;
            var mean = values.Average();
            var bar = plot.Add.Line(i - 0.2, mean, i + 0.2, mean);
            bar.LineWidth = 3;
            bar.LineColor = points.MarkerFillColor;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray(), categories.Select(c => c.Label).ToArray());
        plot.Axes.SetLimitsX(-0.6, categories.Count - 0.4);
        Decorate(plot, title, "", yLabel);
        plot.HideLegend();
        Save(plot, path, width, height);
    }

    /// <summary>
    /// A square heatmap of <paramref name="values"/> (in [0, 1]) with <paramref name="labels"/> on
    /// both axes and each cell's value written in it as a percentage; cell [i, j] is row i (from the
    /// top) and column j. Drawn as filled rectangles so that every cell and label is exactly placed.
    /// </summary>
    public static void Heatmap(string path, string title, IReadOnlyList<string> labels, double[,] values, int width = DefaultWidth, int height = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        var n = labels.Count;
        if (n == 0 || values.GetLength(0) != n || values.GetLength(1) != n)
            throw new ArgumentException($"a heatmap of {n} labels needs a {n}×{n} matrix, got {values.GetLength(0)}×{values.GetLength(1)}.", nameof(values));
        using var plot = new Plot();
        var colormap = new ScottPlot.Colormaps.Viridis();
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                var v = Math.Clamp(double.IsFinite(values[i, j]) ? values[i, j] : 0, 0, 1);
                // Row 0 at the top: y runs downwards through the rows.
                var cell = plot.Add.Rectangle(j, j + 1, n - i - 1, n - i);
                cell.FillColor = colormap.GetColor(v);
                cell.LineWidth = 1;
                cell.LineColor = Colors.White;
                var text = plot.Add.Text(v.ToString("P0", System.Globalization.CultureInfo.InvariantCulture), j + 0.5, n - i - 0.5);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontName = SansFamily.Value;
                text.LabelFontSize = n <= 6 ? 18 : 12;
                text.LabelFontColor = v > 0.6 ? Colors.Black : Colors.White;
            }
        var centers = Enumerable.Range(0, n).Select(i => i + 0.5).ToArray();
        plot.Axes.Bottom.SetTicks(centers, labels.ToArray());
        plot.Axes.Left.SetTicks(centers, labels.Reverse().ToArray());
        plot.Axes.SetLimits(0, n, 0, n);
        Decorate(plot, title, "", "");
        Save(plot, path, width, height);
    }

    /// <summary>
    /// Labelled points with their spread: each point's observations as small markers, bars from the
    /// lowest to the highest observation on each axis, the mean as a large marker (filled when
    /// highlighted), and the highlighted points joined in x order by a dashed line — a Pareto front,
    /// for example. Optional reference lines mark fixed x and y values (e.g. 0 and 1).
    /// </summary>
    public static void RangedPoints(string path, string title, string xLabel, string yLabel, IReadOnlyList<RangedPoint> points,
        IReadOnlyList<double>? referenceX = null, IReadOnlyList<double>? referenceY = null, int width = DefaultWidth, int height = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(points);
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (finite.Count == 0) throw new ArgumentException("a point plot needs at least one finite point.", nameof(points));
        using var plot = new Plot();
        foreach (var x in referenceX ?? Array.Empty<double>())
        {
            var line = plot.Add.VerticalLine(x);
            line.LineColor = Colors.Gray.WithAlpha(0.5);
            line.LinePattern = LinePattern.Dotted;
        }
        foreach (var y in referenceY ?? Array.Empty<double>())
        {
            var line = plot.Add.HorizontalLine(y);
            line.LineColor = Colors.Gray.WithAlpha(0.5);
            line.LinePattern = LinePattern.Dotted;
        }
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < finite.Count; i++)
        {
            var p = finite[i];
            var color = palette.GetColor(i);
            var obs = p.Observations.Where(o => double.IsFinite(o.X) && double.IsFinite(o.Y)).ToArray();
            if (obs.Length > 1)
            {
                var xBar = plot.Add.Line(obs.Min(o => o.X), p.Y, obs.Max(o => o.X), p.Y);
                xBar.LineColor = color;
                xBar.LineWidth = 2;
                var yBar = plot.Add.Line(p.X, obs.Min(o => o.Y), p.X, obs.Max(o => o.Y));
                yBar.LineColor = color;
                yBar.LineWidth = 2;
                var each = plot.Add.Scatter(obs.Select(o => o.X).ToArray(), obs.Select(o => o.Y).ToArray());
                each.LineWidth = 0;
                each.MarkerSize = 5;
                each.MarkerShape = MarkerShape.OpenCircle;
                each.Color = color;
            }
            var mean = plot.Add.Scatter(new[] { p.X }, new[] { p.Y });
            mean.LineWidth = 0;
            mean.MarkerSize = 11;
            mean.MarkerShape = p.Highlighted ? MarkerShape.FilledCircle : MarkerShape.OpenCircle;
            mean.Color = color;
            var text = plot.Add.Text(p.Label, p.X, p.Y);
            text.LabelFontName = SansFamily.Value;
            text.LabelFontSize = 13;
            text.LabelFontColor = color;
            text.LabelAlignment = Alignment.LowerLeft;
            text.LabelOffsetX = 7;
            text.LabelOffsetY = -4;
        }
        var front = finite.Where(p => p.Highlighted).OrderBy(p => p.X).ToArray();
        if (front.Length > 1)
        {
            var line = plot.Add.Scatter(front.Select(p => p.X).ToArray(), front.Select(p => p.Y).ToArray());
            line.MarkerSize = 0;
            line.LineWidth = 1.5f;
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Black.WithAlpha(0.6);
        }
        Decorate(plot, title, xLabel, yLabel);
        plot.HideLegend();
        Save(plot, path, width, height);
    }

    private static void Decorate(Plot plot, string title, string xLabel, string yLabel)
    {
        plot.Font.Set(SansFamily.Value);
        plot.Title(title);
        if (xLabel.Length > 0) plot.XLabel(xLabel);
        if (yLabel.Length > 0) plot.YLabel(yLabel);
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (width < 50 || height < 50) throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} is too small for a plot.");
        byte[] png;
        try
        {
            png = plot.GetImageBytes(width, height, ImageFormat.Png);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            throw new RuntimeSetupException($"{path}: could not render the plot: SkiaSharp's native library did not load ({e.Message}).", e);
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        AtomicFile.WriteAllBytes(path, png);
    }
}
