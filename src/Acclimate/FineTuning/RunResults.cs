using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.IO;

namespace Acclimate.FineTuning;

/// <summary>How a fine-tuning run writes its <c>results.json</c> (sweeps and scripts read it): metric values rounded to 6 decimals, non-finite ones as null, keys sorted.</summary>
internal static class RunResults
{
    /// <summary>The file a run (or a fold / round) writes its scores to.</summary>
    public const string FileName = "results.json";

    /// <summary>Metric values as a JSON object, keys in ordinal order.</summary>
    public static JsonObject Metrics(IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var o = new JsonObject();
        foreach (var (k, v) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = Value(v);
        return o;
    }

    /// <summary>A finite value rounded to 6 decimals, else null.</summary>
    public static JsonNode? Value(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    /// <summary>Writes <paramref name="results"/> as <see cref="FileName"/> in <paramref name="folder"/>, indented, atomically.</summary>
    public static void Write(string folder, JsonObject results)
    {
        ArgumentNullException.ThrowIfNull(results);
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
