using Acclimate.Reporting;

namespace Acclimate.Tests.Reporting;

public sealed class MarkdownReportTests
{
    [Fact]
    public void BuildsHeadingsTablesAndImages()
    {
        var report = new MarkdownReport()
            .Heading("DAPT run", 1)
            .Paragraph("Continued pretraining on the demo corpus.")
            .Table(new[] { "step", "loss", "note" }, new[]
            {
                new object?[] { 100, 2.345678912, "warm|up" },
                new object?[] { 200, 1.5, null },
            })
            .Bullets(new[] { "seed 42", "two\nlines" })
            .Image("loss curve", "plots/loss.png");
        Assert.Equal(
            "# DAPT run\n\n" +
            "Continued pretraining on the demo corpus.\n\n" +
            "| step | loss | note |\n" +
            "|---:|---:|---|\n" +
            "| 100 | 2.34568 | warm\\|up |\n" +
            "| 200 | 1.5 |  |\n\n" +
            "- seed 42\n" +
            "- two lines\n\n" +
            "![loss curve](plots/loss.png)\n",
            report.ToMarkdown());
    }

    [Fact]
    public void RowsMustMatchTheColumns()
    {
        Assert.Throws<ArgumentException>(() => new MarkdownReport().Table(new[] { "a", "b" }, new[] { new object?[] { 1 } }));
    }
}
