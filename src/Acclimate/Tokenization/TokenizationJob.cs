using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Acclimate.Errors;

namespace Acclimate.Tokenization;

/// <summary>
/// Encodes a JSONL file of texts as <c>acclimate tokenize</c> does: every {"text", "text_pair", "id"}
/// line (blank lines skipped) is encoded with the tokenizer and written as one HF-style encoding per
/// line — ids, tokens, code point and UTF-16 offsets, type ids, sequence ids, special-token mask — in
/// the format of the tokenizer fixtures' golden.jsonl. The output is written beside its target and
/// renamed at the end, so a failure (a malformed line, named by file and line) never leaves a partial file.
/// </summary>
public static class TokenizationJob
{
    /// <summary>Encodes every line of <paramref name="inputFile"/> into <paramref name="outputFile"/>.</summary>
    /// <returns>The number of lines encoded.</returns>
    public static int Run(ITextTokenizer tokenizer, EncodeOptions options, string inputFile, string outputFile)
    {
        if (!File.Exists(inputFile))
        {
            throw new DataException($"Input file {inputFile} does not exist.");
        }
        string? folder = Path.GetDirectoryName(Path.GetFullPath(outputFile));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        // Written beside the target and renamed at the end, so a failure never leaves a partial output.
        string temp = outputFile + ".tmp-" + Guid.NewGuid().ToString("N");
        int count = 0;
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                int lineNumber = 0;
                foreach (var line in File.ReadLines(inputFile, Encoding.UTF8))
                {
                    lineNumber++;
                    if (string.IsNullOrWhiteSpace(line))
                    {
                        continue;
                    }
                    var (id, text, pair) = ParseLine(line, inputFile, lineNumber);
                    TokenizedText encoded;
                    try
                    {
                        encoded = tokenizer.Encode(text, pair, options);
                    }
                    catch (TokenizerException e)
                    {
                        throw new DataException($"{inputFile}, line {lineNumber}: {e.Message}", e);
                    }
                    WriteEncoding(json, id, text, pair, encoded);
                    json.Flush();
                    stream.WriteByte((byte)'\n');
                    json.Reset();
                    count++;
                }
            }
            File.Move(temp, outputFile, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return count;
    }

    private static (JsonElement? Id, string Text, string? Pair) ParseLine(string line, string file, int lineNumber)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(line);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new DataException(
                $"{file}, line {lineNumber}, column {(e.BytePositionInLine ?? 0) + 1}: malformed JSON; expected an object like {{\"text\": \"...\", \"text_pair\": null}}.", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new DataException($"{file}, line {lineNumber}: expected a JSON object with \"text\", found {root.ValueKind}.");
        }
        if (!root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
        {
            throw new DataException($"{file}, line {lineNumber}: expected a string \"text\" field.");
        }
        string? pair = null;
        if (root.TryGetProperty("text_pair", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            pair = p.ValueKind == JsonValueKind.String
                ? p.GetString()
                : throw new DataException($"{file}, line {lineNumber}: \"text_pair\" must be a string or null, found {p.ValueKind}.");
        }
        JsonElement? id = root.TryGetProperty("id", out var idValue) ? idValue : null;
        return (id, text.GetString()!, pair);
    }

    private static void WriteEncoding(Utf8JsonWriter json, JsonElement? id, string text, string? pair, TokenizedText t)
    {
        json.WriteStartObject();
        if (id is { } idValue)
        {
            json.WritePropertyName("id");
            idValue.WriteTo(json);
        }
        WriteInts(json, "ids", t.Ids);
        json.WriteStartArray("tokens");
        foreach (var token in t.Tokens)
        {
            json.WriteStringValue(token);
        }
        json.WriteEndArray();
        json.WriteStartArray("offsets");
        for (int i = 0; i < t.Count; i++)
        {
            string source = t.SequenceIds[i] == 1 ? pair! : text;
            WriteSpan(json, TextOffsets.ToCodePoints(source, t.Offsets[i]));
        }
        json.WriteEndArray();
        json.WriteStartArray("offsets_utf16");
        foreach (var span in t.Offsets)
        {
            WriteSpan(json, span);
        }
        json.WriteEndArray();
        WriteInts(json, "type_ids", t.TypeIds);
        json.WriteStartArray("sequence_ids");
        foreach (var s in t.SequenceIds)
        {
            if (s is int v)
            {
                json.WriteNumberValue(v);
            }
            else
            {
                json.WriteNullValue();
            }
        }
        json.WriteEndArray();
        WriteInts(json, "special_tokens_mask", t.SpecialTokensMask);
        json.WriteEndObject();
    }

    private static void WriteInts(Utf8JsonWriter json, string name, IReadOnlyList<int> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values)
        {
            json.WriteNumberValue(v);
        }
        json.WriteEndArray();
    }

    private static void WriteSpan(Utf8JsonWriter json, TokenSpan span)
    {
        json.WriteStartArray();
        json.WriteNumberValue(span.Start);
        json.WriteNumberValue(span.End);
        json.WriteEndArray();
    }
}
