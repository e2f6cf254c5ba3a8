using Spectre.Console;
using System.Text;

namespace Acclimate.Demos;

/// <summary>A table that renders both to the console (Spectre.Console) and to Markdown for report.md.</summary>
public sealed class MarkdownTable
{
    private readonly string[] _columns;
    private readonly List<string[]> _rows = new();

    public MarkdownTable(params string[] columns) => _columns = columns;

    public void Add(params object[] cells) => _rows.Add(cells.Select(c => c?.ToString() ?? "").ToArray());

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", _columns.Select(c => c.Replace("|", "\\|"))) + " |");
        text.AppendLine("|" + string.Concat(_columns.Select(_ => "---|")));
        foreach (var row in _rows) text.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|"))) + " |");
        return text.ToString();
    }

    public Spectre.Console.Table ToConsole()
    {
        var table = new Spectre.Console.Table { Border = Spectre.Console.TableBorder.Rounded };
        foreach (var c in _columns) table.AddColumn(Spectre.Console.Markup.Escape(c));
        foreach (var row in _rows) table.AddRow(row.Select(Spectre.Console.Markup.Escape).ToArray());
        return table;
    }
}
