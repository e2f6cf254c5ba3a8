using System.Globalization;
using System.Text;

namespace Acclimate.Reporting;

/// <summary>
/// Builds a <c>report.md</c>: headings, paragraphs, bullet lists, tables and images, in the order
/// added. Table cells are escaped (pipes, line breaks) so any text keeps the table intact.
/// </summary>
public sealed class MarkdownReport
{
    private readonly StringBuilder _text = new();

    /// <summary>A heading of <paramref name="level"/> (1–6).</summary>
    public MarkdownReport Heading(string text, int level = 2)
    {
        if (level is < 1 or > 6) throw new ArgumentOutOfRangeException(nameof(level), level, "markdown headings are levels 1 to 6.");
        Block(new string('#', level) + " " + OneLine(text));
        return this;
    }

    /// <summary>Appends a paragraph; returns this report.</summary>
    public MarkdownReport Paragraph(string text)
    {
        Block(text.Trim());
        return this;
    }

    /// <summary>Appends a bullet list; returns this report.</summary>
    public MarkdownReport Bullets(IEnumerable<string> items)
    {
        Block(string.Join("\n", items.Select(i => "- " + OneLine(i))));
        return this;
    }

    /// <summary>
    /// A table. Cells are formatted invariantly: doubles with <paramref name="numberFormat"/>, null
    /// as empty. Columns whose every value is numeric are right-aligned.
    /// </summary>
    public MarkdownReport Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows, string numberFormat = "G6")
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.Count == 0) throw new ArgumentException("a table needs at least one column.", nameof(headers));
        var body = rows.Select(r => r.Select(c => Cell(c, numberFormat)).ToArray()).ToList();
        var rawRows = rows.ToList();
        for (var i = 0; i < body.Count; i++)
            if (body[i].Length != headers.Count)
                throw new ArgumentException($"row {i + 1} has {body[i].Length} cells; the table has {headers.Count} columns.", nameof(rows));
        var numeric = Enumerable.Range(0, headers.Count)
            .Select(c => rawRows.Count > 0 && rawRows.All(r => r[c] is null or sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal))
            .ToArray();
        var lines = new List<string>
        {
            "| " + string.Join(" | ", headers.Select(Escape)) + " |",
            "|" + string.Join("|", numeric.Select(n => n ? "---:" : "---")) + "|",
        };
        lines.AddRange(body.Select(r => "| " + string.Join(" | ", r) + " |"));
        Block(string.Join("\n", lines));
        return this;
    }

    /// <summary>An image; <paramref name="relativePath"/> is relative to the report (e.g. <c>plots/loss.png</c>).</summary>
    public MarkdownReport Image(string altText, string relativePath)
    {
        Block($"![{Escape(altText)}]({relativePath.Replace(" ", "%20", StringComparison.Ordinal)})");
        return this;
    }

    /// <summary>A fenced code block.</summary>
    public MarkdownReport Code(string text, string language = "")
    {
        var fence = text.Contains("```", StringComparison.Ordinal) ? "~~~~" : "```";
        Block(fence + language + "\n" + text.TrimEnd('\n') + "\n" + fence);
        return this;
    }

    /// <summary>The document, ending with one newline.</summary>
    public string ToMarkdown() => _text.ToString().TrimEnd('\n') + "\n";

    private void Block(string markdown)
    {
        if (_text.Length > 0) _text.Append('\n');
        _text.Append(markdown).Append('\n');
    }

    private static string Cell(object? value, string numberFormat) => value switch
    {
        null => "",
        double d => Escape(d.ToString(numberFormat, CultureInfo.InvariantCulture)),
        float f => Escape(f.ToString(numberFormat, CultureInfo.InvariantCulture)),
        IFormattable f => Escape(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => Escape(value.ToString() ?? ""),
    };

    private static string Escape(string text) => OneLine(text).Replace("|", "\\|", StringComparison.Ordinal);

    private static string OneLine(string text) => text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ');
}
