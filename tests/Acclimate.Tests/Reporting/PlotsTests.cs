using Acclimate.Reporting;
using Acclimate.Training;

namespace Acclimate.Tests.Reporting;

public sealed class PlotsTests
{
    private static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    private static void AssertPng(string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(PngSignature, bytes.Take(8));
        // IHDR holds the size big-endian at bytes 16..23; a chart with axes and text is well over 5 KB.
        Assert.Equal(width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
        Assert.True(bytes.Length > 5_000, $"{path} is only {bytes.Length} bytes");
    }

    [Fact]
    public void LinesRendersAPng()
    {
        using var folder = TestPaths.NewTempFolder();
        var steps = Enumerable.Range(1, 50).Select(i => (double)i).ToArray();
        var path = folder.File("sub/lines.png");
        Plots.Lines(path, "Loss", "step", "loss",
            new PlotSeries("train", steps, steps.Select(s => 3 / Math.Sqrt(s)).ToArray()),
            new PlotSeries("eval", new[] { 10.0, 20, 30 }, new[] { 1.1, 0.8, double.NaN }, MarkersOnly: true));
        AssertPng(path, Plots.DefaultWidth, Plots.DefaultHeight);
    }

    [Fact]
    public void BarsRendersAPng()
    {
        using var folder = TestPaths.NewTempFolder();
        var path = folder.File("bars.png");
        Plots.Bars(path, "F1 by entity type", "F1", new[] { "PER", "ORG", "LOC" }, new[] { 0.9, 0.7, 0.8 }, width: 640, height: 400);
        AssertPng(path, 640, 400);
    }

    [Fact]
    public void StripRendersAPngWithOneColumnPerCategory()
    {
        using var folder = TestPaths.NewTempFolder();
        var path = folder.File("strip.png");
        Plots.Strip(path, "test.f1 per seed", "test.f1", new (string, IReadOnlyList<double>)[]
        {
            ("pretrained", new[] { 0.83, 0.84, 0.835 }), ("random-init", new[] { 0.66, 0.67, double.NaN }), ("empty", Array.Empty<double>()),
        });
        AssertPng(path, Plots.DefaultWidth, Plots.DefaultHeight);
    }

    [Fact]
    public void LossCurveUsesTrainAndEvalRecords()
    {
        using var folder = TestPaths.NewTempFolder();
        var records = new List<MetricsRecord>();
        for (var step = 1; step <= 20; step++)
            records.Add(new MetricsRecord(step, step / 20.0, new Dictionary<string, double> { ["loss"] = 4.0 / step, ["lr"] = 1e-4 }));
        records.Add(new MetricsRecord(10, 0.5, new Dictionary<string, double> { ["eval_loss"] = 0.6 }));
        Assert.True(MetricsPlots.LossCurve(folder.File("loss.png"), records));
        AssertPng(folder.File("loss.png"), Plots.DefaultWidth, Plots.DefaultHeight);
        Assert.False(MetricsPlots.LossCurve(folder.File("none.png"), Array.Empty<MetricsRecord>()));
        Assert.False(File.Exists(folder.File("none.png")));
    }

    [Fact]
    public void MismatchedSeriesAreRejected()
    {
        using var folder = TestPaths.NewTempFolder();
        Assert.Throws<ArgumentException>(() => Plots.Lines(folder.File("x.png"), "t", "x", "y", new PlotSeries("a", new[] { 1.0 }, new[] { 1.0, 2.0 })));
        Assert.Throws<ArgumentException>(() => Plots.Bars(folder.File("x.png"), "t", "y", new[] { "a" }, new[] { 1.0, 2.0 }));
    }
}
