using System.Globalization;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Spectre.Console;

namespace Acclimate.Cli.Commands;

/// <summary>Prints tagging scores as a Spectre table (per entity type or tag, then averages).</summary>
internal static class EpochTable
{
    public static void Write(IAnsiConsole console, string title, TaggingScores scores, int maxRows = 25)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)) };
        table.AddColumns("type", "precision", "recall", "F1", "support");
        var rows = scores.Rows();
        var shown = TaggingScores.MostFrequent(rows, maxRows);
        foreach (var r in shown)
            table.AddRow(Markup.Escape(r.Name), F(r.Precision), F(r.Recall), F(r.F1), r.Support.ToString(CultureInfo.InvariantCulture));
        table.Caption = new TableTitle(Markup.Escape($"token accuracy {F(scores.Accuracy)}" + (scores.StrictF1 is double s ? $", strict micro F1 {F(s)}" : "")
            + (rows.Count > maxRows ? $" ({rows.Count - shown.Count} rarer rows not shown)" : "")));
        console.Write(table);
    }

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
