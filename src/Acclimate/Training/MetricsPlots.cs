using Acclimate.Reporting;

namespace Acclimate.Training;

/// <summary>A run's curves drawn from its metrics records (metrics.jsonl), with <see cref="Plots"/>.</summary>
internal static class MetricsPlots
{
    /// <summary>
    /// The loss curve of a run from its metrics: training loss per log record, and evaluation loss
    /// (when logged) as points. Returns false when there is nothing to draw.
    /// </summary>
    public static bool LossCurve(string path, IReadOnlyList<MetricsRecord> records, string title = "Training loss")
    {
        ArgumentNullException.ThrowIfNull(records);
        var train = records.Where(r => !r.IsEvaluation && r.Get("loss") is not null).Select(r => ((double)r.Step, r.Get("loss")!.Value)).ToList();
        var eval = records.Where(r => r.Get("eval_loss") is not null).Select(r => ((double)r.Step, r.Get("eval_loss")!.Value)).ToList();
        var series = new List<PlotSeries>();
        if (train.Count > 0) series.Add(PlotSeries.From("train loss", train));
        if (eval.Count > 0) series.Add(PlotSeries.From("eval loss", eval, markersOnly: true));
        if (series.Count == 0) return false;
        Plots.Lines(path, title, "step", "loss", series, Plots.DefaultWidth, Plots.DefaultHeight);
        return true;
    }

    /// <summary>One evaluation metric (e.g. <c>eval_f1</c>) over steps; false when it was never logged.</summary>
    public static bool MetricCurve(string path, IReadOnlyList<MetricsRecord> records, string metric)
    {
        ArgumentNullException.ThrowIfNull(records);
        var points = records.Where(r => r.Get(metric) is not null).Select(r => ((double)r.Step, r.Get(metric)!.Value)).ToList();
        if (points.Count == 0) return false;
        Plots.Lines(path, metric, "step", metric, new[] { PlotSeries.From(metric, points) }, Plots.DefaultWidth, Plots.DefaultHeight);
        return true;
    }
}
