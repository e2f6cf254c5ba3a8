using Acclimate.Errors;
using Acclimate.Training;

namespace Acclimate.Tests.Training;

public sealed class MetricsLogTests
{
    [Fact]
    public void RecordsAreOneJsonObjectPerLineAndReadBack()
    {
        using var folder = TestPaths.NewTempFolder();
        var log = new MetricsLog(folder.File("metrics.jsonl"));
        log.Append(new MetricsRecord(10, 0.25, new Dictionary<string, double> { ["loss"] = 2.5, ["lr"] = 5e-5 }));
        log.Append(new MetricsRecord(20, 0.5, new Dictionary<string, double> { ["loss"] = double.NaN }));
        log.Append(new MetricsRecord(20, 0.5, new Dictionary<string, double> { ["eval_loss"] = 2.0, ["eval_f1"] = 0.5 }));

        var lines = File.ReadAllLines(log.Path);
        Assert.Equal("{\"step\":10,\"epoch\":0.25,\"loss\":2.5,\"lr\":5E-05}", lines[0]);
        Assert.Equal("{\"step\":20,\"epoch\":0.5,\"loss\":\"NaN\"}", lines[1]);
        var records = log.ReadAll();
        Assert.Equal(3, records.Count);
        Assert.Equal(5e-5, records[0].Get("lr"));
        Assert.True(double.IsNaN(records[1].Get("loss")!.Value));
        Assert.True(records[2].IsEvaluation);
        Assert.False(records[0].IsEvaluation);
    }

    [Fact]
    public void TruncateAfterDropsTheAbandonedHistory()
    {
        using var folder = TestPaths.NewTempFolder();
        var log = new MetricsLog(folder.File("metrics.jsonl"));
        foreach (var step in new[] { 2, 4, 6, 8 })
            log.Append(new MetricsRecord(step, 0, new Dictionary<string, double> { ["loss"] = step }));
        log.TruncateAfter(5);
        Assert.Equal(new long[] { 2, 4 }, log.ReadAll().Select(r => r.Step));
    }

    [Fact]
    public void AMalformedLineNamesFileAndLine()
    {
        using var folder = TestPaths.NewTempFolder();
        var path = folder.File("metrics.jsonl");
        File.WriteAllText(path, "{\"step\":1,\"loss\":1}\nnot json\n");
        var e = Assert.Throws<DataException>(() => MetricsLog.Read(path));
        Assert.StartsWith($"{path}:2:", e.Message);
    }
}
