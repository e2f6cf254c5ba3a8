using System.Text.Json;
using Acclimate.Errors;

namespace Acclimate.Pretraining;

/// <summary>
/// Reads a whole-word reference file as HF's run_mlm_wwm uses for Chinese: one JSON array of
/// integers per line, the positions (in the tokenized sequence, special tokens included) of
/// characters that continue a word. As HF, blank lines are skipped, so line k of the non-blank
/// lines belongs to example k.
/// </summary>
public static class ChineseWordReferences
{
    /// <summary>Every reference list of the file, in order; errors name the file and line.</summary>
    public static IReadOnlyList<int[]> Read(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: whole-word reference file not found.");
        var result = new List<int[]>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            result.Add(ParseLine(line, path, lineNumber));
        }
        return result;
    }

    /// <summary>Parses one line (a JSON array of non-negative, strictly increasing integers).</summary>
    public static int[] ParseLine(string line, string source = "reference", int lineNumber = 1)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(line);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new DataException($"{source}:{lineNumber}: not valid JSON ({e.Message}); expected an array of token positions like [2, 5].", e);
        }
        if (root.ValueKind != JsonValueKind.Array)
            throw new DataException($"{source}:{lineNumber}: expected a JSON array of token positions, found {root.ValueKind}.");
        var positions = new int[root.GetArrayLength()];
        var i = 0;
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var p) || p < 0)
                throw new DataException($"{source}:{lineNumber}: item {i} is {item.GetRawText()}; expected a non-negative integer position.");
            if (i > 0 && p <= positions[i - 1])
                throw new DataException($"{source}:{lineNumber}: positions must increase; {p} follows {positions[i - 1]}.");
            positions[i++] = p;
        }
        return positions;
    }
}
