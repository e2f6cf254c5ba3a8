using System.Globalization;

namespace Acclimate.Cli.Commands;

/// <summary>Scores on one line, "name=0.1234" sorted by name: the last line finetune, evaluate and ensemble print, for scripts to grep.</summary>
internal static class MetricsLine
{
    public static string Format(IReadOnlyDictionary<string, double> metrics) =>
        string.Join("  ", metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value.ToString("F4", CultureInfo.InvariantCulture)}"));
}
