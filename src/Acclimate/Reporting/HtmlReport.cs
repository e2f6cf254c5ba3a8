using System.Net;
using Acclimate.Errors;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Acclimate.Reporting;

/// <summary>
/// Turns a Markdown report into one self-contained HTML page: tables, headings and code as
/// CommonMark with pipe tables (Markdig; raw HTML in the text is escaped, not passed through), every local image inlined as a data URI so the file can be
/// mailed or opened anywhere, and a small stylesheet for readable tables and figures.
/// </summary>
public static class HtmlReport
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseEmphasisExtras().UseAutoLinks().DisableHtml().Build();

    /// <summary>The HTML page for <paramref name="markdown"/>; image paths are relative to <paramref name="baseFolder"/>.</summary>
    public static string FromMarkdown(string markdown, string baseFolder, string title)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var image in document.Descendants<LinkInline>().Where(l => l.IsImage && l.Url is not null))
            image.Url = InlineImage(image.Url!, baseFolder);
        using var writer = new StringWriter();
        var renderer = new Markdig.Renderers.HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{WebUtility.HtmlEncode(title)}</title>
            <style>{Style}</style>
            </head>
            <body>
            <main>
            {writer}
            </main>
            </body>
            </html>

            """;
    }

    /// <summary>A local PNG/JPEG/SVG as a data URI; remote URLs and data URIs are left alone.</summary>
    private static string InlineImage(string url, string baseFolder)
    {
        if (url.StartsWith("data:", StringComparison.Ordinal) || url.Contains("://", StringComparison.Ordinal)) return url;
        var path = Path.Combine(baseFolder, Uri.UnescapeDataString(url));
        if (!File.Exists(path)) throw new DataException($"{path}: the report shows this image, but the file is missing.");
        var mime = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".svg" => "image/svg+xml",
            var other => throw new DataException($"{path}: cannot inline a '{other}' image (png, jpeg or svg expected)."),
        };
        return $"data:{mime};base64,{Convert.ToBase64String(File.ReadAllBytes(path))}";
    }

    private const string Style = """
        body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; background: #fff; margin: 0; }
        main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; }
        h1 { font-size: 28px; border-bottom: 2px solid #e5e5ea; padding-bottom: 8px; }
        h2 { font-size: 21px; margin-top: 36px; border-bottom: 1px solid #e5e5ea; padding-bottom: 4px; }
        h3 { font-size: 17px; margin-top: 24px; }
        table { border-collapse: collapse; margin: 12px 0 20px; font-size: 14px; }
        th, td { border: 1px solid #d2d2d7; padding: 5px 10px; text-align: left; vertical-align: top; }
        th { background: #f2f2f7; }
        tr:nth-child(even) td { background: #fafafa; }
        img { max-width: 100%; height: auto; border: 1px solid #e5e5ea; margin: 8px 0; }
        code { background: #f2f2f7; padding: 1px 4px; border-radius: 3px; font-size: 13px; }
        pre { background: #f6f8fa; padding: 12px; overflow-x: auto; border-radius: 4px; }
        pre code { background: none; padding: 0; }
        blockquote { border-left: 4px solid #d2d2d7; margin: 12px 0; padding: 4px 16px; color: #3a3a3c; }
        mark { background: #fff3b0; }
        """;
}
