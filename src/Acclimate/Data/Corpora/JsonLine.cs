using System.Text.Json;
using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// Parsing one line of a JSONL file into an object, with errors that name the file and line; shared by
/// the corpus reader and the dataset readers so every JSONL complaint reads the same.
/// </summary>
internal static class JsonLine
{
    /// <summary>Parses <paramref name="line"/> as a JSON object; the caller disposes the document.</summary>
    public static JsonDocument ParseObject(TextLine line, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line.Text); }
        catch (JsonException e)
        {
            throw new DataException($"{source}:{line.Number}: malformed JSON ({e.Message}); expected one JSON object per line. Found: {Excerpt(line.Text)}", e);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = doc.RootElement.ValueKind;
            doc.Dispose();
            throw new DataException($"{source}:{line.Number}: found a JSON {Describe(kind)}; expected a JSON object per line.");
        }
        return doc;
    }

    /// <summary>The string value of a required field; missing or non-string is an error naming the fields present.</summary>
    public static string RequiredString(JsonElement obj, string field, string source, int lineNumber)
    {
        if (!obj.TryGetProperty(field, out var value))
            throw new DataException($"{source}:{lineNumber}: missing field '{field}'; found fields {FieldList(obj)}.");
        if (value.ValueKind != JsonValueKind.String)
            throw new DataException($"{source}:{lineNumber}: field '{field}' is a JSON {Describe(value.ValueKind)}; expected a string.");
        return value.GetString()!;
    }

    /// <summary>A string or number field as text (labels and ids are often numbers); null when absent or JSON null.</summary>
    public static string? OptionalScalar(JsonElement obj, string field, string source, int lineNumber)
    {
        if (!obj.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new DataException($"{source}:{lineNumber}: field '{field}' is a JSON {Describe(value.ValueKind)}; expected a string or a number."),
        };
    }

    /// <summary>The names of an object's fields, quoted, for error messages.</summary>
    public static string FieldList(JsonElement obj)
    {
        var names = obj.EnumerateObject().Select(p => "'" + p.Name + "'").ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    /// <summary>"string", "array", … for error messages.</summary>
    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>At most 80 characters of a line, so a message never carries a whole megabyte.</summary>
    public static string Excerpt(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
