using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Training;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per log event, <c>{"step": 10, "epoch": 0.25, "loss": 2.31, "lr": 5e-05, …}</c>,
/// appended and flushed as events happen, so a crashed run keeps its history. Non-finite values
/// (a diverged loss) are written as the strings "NaN", "Infinity", "-Infinity".
/// </summary>
public sealed class MetricsLog
{
    /// <summary>A log appending to <paramref name="path"/> (created on the first write).</summary>
    public MetricsLog(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file (absolute path).</summary>
    public string Path { get; }

    /// <summary>Appends <paramref name="record"/> as one line.</summary>
    public void Append(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var folder = System.IO.Path.GetDirectoryName(Path);
        if (folder is not null) Directory.CreateDirectory(folder);
        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        var bytes = Encoding.UTF8.GetBytes(ToJson(record) + "\n");
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Drops records after <paramref name="step"/> (atomically). A run resumed from an earlier
    /// checkpoint calls this so the history it writes next is not interleaved with the abandoned one.
    /// </summary>
    public void TruncateAfter(long step)
    {
        if (!File.Exists(Path)) return;
        var kept = File.ReadLines(Path).Where(line => line.Length > 0 && StepOf(line) <= step).ToList();
        AtomicFile.WriteAllText(Path, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
    }

    /// <summary>Every record in the file (empty when it does not exist).</summary>
    public IReadOnlyList<MetricsRecord> ReadAll() => Read(Path);

    /// <summary>Reads a metrics.jsonl file; a malformed line fails naming the file and line.</summary>
    public static IReadOnlyList<MetricsRecord> Read(string path)
    {
        if (!File.Exists(path)) return Array.Empty<MetricsRecord>();
        var records = new List<MetricsRecord>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            try
            {
                var obj = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object");
                long step = 0;
                double epoch = 0;
                var values = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var (key, node) in obj)
                {
                    if (node is null) continue;
                    if (key == "step") step = node.GetValue<long>();
                    else if (key == "epoch") epoch = node.GetValue<double>();
                    else if (node is JsonValue v) values[key] = ReadNumber(v);
                }
                records.Add(new MetricsRecord(step, epoch, values));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                throw new DataException($"{path}:{lineNumber}: not a metrics record ({e.Message}).", e);
            }
        }
        return records;
    }

    /// <summary>One record as a single-line JSON object: step, epoch, then the values in their order.</summary>
    public static string ToJson(MetricsRecord record)
    {
        var obj = new JsonObject { ["step"] = record.Step, ["epoch"] = Math.Round(record.Epoch, 6) };
        foreach (var (key, value) in record.Values)
            obj[key] = double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static double ReadNumber(JsonValue value) =>
        value.TryGetValue<double>(out var d) ? d
        : value.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw new FormatException($"value {value.ToJsonString()} is not a number");

    private static long StepOf(string line) =>
        JsonNode.Parse(line)?["step"]?.GetValue<long>() ?? throw new DataException($"metrics line without a step: {line}");
}
