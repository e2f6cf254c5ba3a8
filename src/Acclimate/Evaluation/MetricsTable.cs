using System.Globalization;
using System.Text;

namespace Acclimate.Evaluation;

/// <summary>
/// Plain-text tables of <see cref="SeqevalReport"/> and <see cref="ClassificationReport"/> in the
/// layout of seqeval's and scikit-learn's text reports: a header, one row per type or class, then the
/// averages. Wide (CJK) characters count as two columns so type names line up in a terminal.
/// </summary>
public static class MetricsTable
{
    private const string TokenAccuracy = "token accuracy";

    private static readonly string[] Headers = ["precision", "recall", "f1-score", "support"];

    /// <summary>Per-type rows, then micro, macro and weighted averages, then token accuracy.</summary>
    public static string Format(SeqevalReport report, int digits = 4)
    {
        ArgumentNullException.ThrowIfNull(report);
        var averages = new[] { report.MicroAverage, report.MacroAverage, report.WeightedAverage };
        var width = NameWidth(report.Types.Concat(averages).Select(r => r.Name).Append(TokenAccuracy), digits);
        var sb = new StringBuilder();
        Header(sb, width);
        foreach (var row in report.Types) Row(sb, row, width, digits);
        sb.Append('\n');
        foreach (var row in averages) Row(sb, row, width, digits);
        sb.Append('\n');
        // Token accuracy is not an entity score: it gets its own line, in the f1-score column.
        sb.Append(Pad(TokenAccuracy, width)).Append(' ').Append(new string(' ', 20))
            .Append(' ').Append(Number(report.Accuracy, digits).PadLeft(9)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Per-class rows, then accuracy, macro and weighted averages.</summary>
    public static string Format(ClassificationReport report, int digits = 4)
    {
        ArgumentNullException.ThrowIfNull(report);
        var averages = new[] { report.MacroAverage, report.WeightedAverage };
        var width = NameWidth(report.Classes.Concat(averages).Select(r => r.Name).Append("accuracy"), digits);
        var sb = new StringBuilder();
        Header(sb, width);
        foreach (var row in report.Classes) Row(sb, row, width, digits);
        sb.Append('\n');
        // Accuracy sits in the f1-score column with the example count, as in scikit-learn.
        sb.Append(Pad("accuracy", width)).Append(' ')
            .Append(new string(' ', 20))
            .Append(' ').Append(Number(report.Accuracy, digits).PadLeft(9))
            .Append(' ').Append(report.Total.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
        foreach (var row in averages) Row(sb, row, width, digits);
        return sb.ToString();
    }

    private static int NameWidth(IEnumerable<string> names, int digits) =>
        Math.Max(names.Select(DisplayWidth).DefaultIfEmpty(0).Max(), Math.Max("weighted avg".Length, digits));

    private static void Header(StringBuilder sb, int width)
    {
        sb.Append(new string(' ', width)).Append(' ');
        foreach (var h in Headers) sb.Append(' ').Append(h.PadLeft(9));
        sb.Append("\n\n");
    }

    private static void Row(StringBuilder sb, ScoreRow row, int width, int digits)
    {
        sb.Append(Pad(row.Name, width)).Append(' ');
        foreach (var value in new[] { row.Precision, row.Recall, row.F1 }) sb.Append(' ').Append(Number(value, digits).PadLeft(9));
        sb.Append(' ').Append(row.Support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }

    private static string Number(double value, int digits) =>
        double.IsNaN(value) ? "nan" : value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Pad(string name, int width) => new string(' ', Math.Max(0, width - DisplayWidth(name))) + name;

    private static int DisplayWidth(string text)
    {
        var width = 0;
        foreach (var rune in text.EnumerateRunes()) width += IsWide(rune.Value) ? 2 : 1;
        return width;
    }

    // East Asian Wide and Fullwidth blocks: Hangul Jamo, CJK and radicals, Hangul syllables,
    // compatibility ideographs, fullwidth forms and the supplementary ideograph planes.
    private static bool IsWide(int c) =>
        c is >= 0x1100 and <= 0x115F or >= 0x2E80 and <= 0xA4CF or >= 0xAC00 and <= 0xD7A3
            or >= 0xF900 and <= 0xFAFF or >= 0xFE30 and <= 0xFE4F or >= 0xFF00 and <= 0xFF60
            or >= 0xFFE0 and <= 0xFFE6 or >= 0x20000 and <= 0x3FFFD;
}
