using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Data.Datasets;
using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// The texts of a small input file, read whole, as <c>embed</c> and <c>select</c> take them: a
/// <c>.jsonl</c> file holds one JSON object with a "text" field per line (blank lines skipped, a line
/// without the field is an error naming it); a <c>.conll</c> file gives its sentences, words joined
/// by spaces, in file order (so per-line outputs line up with the sentences); any other file is
/// plain text, one text per line, taken as it is (a line that happens to start with '{' is text).
/// </summary>
public static class InputTexts
{
    /// <summary>Every text of <paramref name="path"/>, in file order; an empty file is an error.</summary>
    public static IReadOnlyList<string> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataException($"{path}: input file not found.");
        if (path.EndsWith(".conll", StringComparison.OrdinalIgnoreCase))
        {
            var sentences = ConllReader.Read(path).Select(s => string.Join(' ', s.Words)).ToList();
            return sentences.Count > 0 ? sentences : throw new DataException($"{path}: no sentences to read.");
        }
        var jsonl = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        var texts = new List<string>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (!jsonl) { texts.Add(line); continue; }
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { throw new DataException($"{path}:{number}: not valid JSON ({e.Message}).", e); }
            texts.Add(node?["text"] is JsonValue v && v.TryGetValue<string>(out var text) ? text
                : throw new DataException($"{path}:{number}: a JSONL line needs a \"text\" string."));
        }
        if (texts.Count == 0) throw new DataException($"{path}: no lines to read.");
        return texts;
    }
}
