using System.Text.Json;
using Acclimate.Errors;
using Acclimate.Models;
using static TorchSharp.torch;

namespace Acclimate.Checkpoints;

/// <summary>
/// Reads an <c>inputs.json</c> as the HF-parity fixtures lay it out: <c>{"batches": [ {"input_ids":
/// [[…]], "attention_mask": …, "token_type_ids": …, "labels": …, "next_sentence_label": …,
/// "sentence_order_label": …}, … ]}</c>. Rows of a batch must be of equal length (already padded).
/// </summary>
public static class ModelInputsFile
{
    private static readonly string[] KnownKeys =
        { "input_ids", "attention_mask", "token_type_ids", "labels", "next_sentence_label", "sentence_order_label" };

    /// <summary>One <see cref="ModelInputs"/> per batch, as CPU tensors (int64; float labels stay float).</summary>
    public static IReadOnlyList<ModelInputs> Read(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: inputs file not found.");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new DataException($"{path}: not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("batches", out var batches) || batches.ValueKind != JsonValueKind.Array)
                throw new DataException($"{path}: expected an object with an array field 'batches'.");
            var result = new List<ModelInputs>();
            var b = 0;
            foreach (var batch in batches.EnumerateArray())
            {
                var where = $"{path}: batches[{b}]";
                if (batch.ValueKind != JsonValueKind.Object) throw new DataException($"{where}: expected an object.");
                foreach (var p in batch.EnumerateObject())
                    if (!KnownKeys.Contains(p.Name))
                        throw new DataException($"{where}: unknown field '{p.Name}' (expected {string.Join(", ", KnownKeys)}).");
                var ids = Required(batch, "input_ids", where);
                var shape = ids.shape;
                var mask = Optional(batch, "attention_mask", where, shape);
                var types = Optional(batch, "token_type_ids", where, shape);
                var labels = batch.TryGetProperty("labels", out var l) ? ToTensor(l, $"{where}.labels") : null;
                var sentence = batch.TryGetProperty("next_sentence_label", out var n) ? ToTensor(n, $"{where}.next_sentence_label")
                    : batch.TryGetProperty("sentence_order_label", out var s) ? ToTensor(s, $"{where}.sentence_order_label") : null;
                result.Add(new ModelInputs(ids, mask, types) { Labels = labels, SentenceLabels = sentence });
                b++;
            }
            return result;
        }
    }

    private static Tensor Required(JsonElement batch, string name, string where) =>
        batch.TryGetProperty(name, out var e) ? ToTensor(e, $"{where}.{name}", requireMatrix: true)
            : throw new DataException($"{where}: required field '{name}' is missing.");

    private static Tensor? Optional(JsonElement batch, string name, string where, long[] shape)
    {
        if (!batch.TryGetProperty(name, out var e)) return null;
        var t = ToTensor(e, $"{where}.{name}", requireMatrix: true);
        if (!t.shape.SequenceEqual(shape))
            throw new DataException($"{where}.{name}: shape [{string.Join(", ", t.shape)}] differs from input_ids [{string.Join(", ", shape)}].");
        return t;
    }

    /// <summary>A JSON number, list, or list of equal-length lists → int64 tensor (float32 if any value is fractional).</summary>
    private static Tensor ToTensor(JsonElement e, string where, bool requireMatrix = false)
    {
        var values = new List<double>();
        long[] shape;
        if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 && e[0].ValueKind == JsonValueKind.Array)
        {
            var rows = e.GetArrayLength();
            var cols = e[0].GetArrayLength();
            foreach (var row in e.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != cols)
                    throw new DataException($"{where}: rows must be arrays of equal length ({cols}); pad the batch first.");
                foreach (var v in row.EnumerateArray()) values.Add(Number(v, where));
            }
            shape = new long[] { rows, cols };
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var v in e.EnumerateArray()) values.Add(Number(v, where));
            shape = new long[] { values.Count };
        }
        else
        {
            values.Add(Number(e, where));
            shape = Array.Empty<long>();
        }
        if (requireMatrix && shape.Length != 2)
            throw new DataException($"{where}: expected a list of rows [batch][length].");
        if (values.Any(v => v != Math.Floor(v)))
            return tensor(values.Select(v => (float)v).ToArray(), shape);
        return tensor(values.Select(v => (long)v).ToArray(), shape);
    }

    private static double Number(JsonElement v, string where) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new DataException($"{where}: expected numbers, found {v.ValueKind}.");
}
