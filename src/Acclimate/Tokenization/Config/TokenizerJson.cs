using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.IO;

namespace Acclimate.Tokenization.Config;

/// <summary>Writes a tokenizer's JSON files (atomically) the way HF writes them: indented, tokens unescaped.</summary>
internal static class TokenizerJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        // Keep tokens such as "<s>" and "▁" readable instead of \u-escaped.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(string path, JsonNode node) => AtomicFile.WriteAllText(path, node.ToJsonString(Options) + "\n");
}
