using Acclimate.Errors;
using Acclimate.Reporting;

namespace Acclimate.Tests.Reporting;

public sealed class HtmlReportTests
{
    [Fact]
    public void LocalImagesAreInlinedAndTablesAndHeadingsRendered()
    {
        using var temp = TestPaths.NewTempFolder();
        Directory.CreateDirectory(temp.File("plots"));
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3 };
        File.WriteAllBytes(temp.File("plots/a b.png"), png);
        var markdown = "# Title <x>\n\n| setting | F1 |\n|---|---:|\n| base | 0.8346 |\n\n![a plot](plots/a%20b.png)\n\n![remote](https://example.org/x.png)\n";
        var html = HtmlReport.FromMarkdown(markdown, temp.Path, "T & U");
        Assert.Contains("<title>T &amp; U</title>", html);
        Assert.Contains("<h1>Title &lt;x&gt;</h1>", html);
        Assert.Contains("<td>base</td>", html);
        Assert.Contains("<td style=\"text-align: right;\">0.8346</td>", html);
        Assert.Contains($"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" alt=\"a plot\" />", html);
        Assert.Contains("<img src=\"https://example.org/x.png\"", html);   // remote images stay links
    }

    [Fact]
    public void AMissingImageNamesTheFile()
    {
        using var temp = TestPaths.NewTempFolder();
        var e = Assert.Throws<DataException>(() => HtmlReport.FromMarkdown("![x](plots/missing.png)\n", temp.Path, "t"));
        Assert.Contains(Path.Combine(temp.Path, "plots/missing.png"), e.Message);
        Assert.Contains("missing", e.Message);
    }
}
