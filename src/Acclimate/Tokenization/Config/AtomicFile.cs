using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Acclimate.Tokenization.Config;

/// <summary>Writes files through a temporary name in the same folder and a rename, so a crash never leaves a half-written tokenizer file.</summary>
internal static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8NoBom.GetBytes(text));

    public static void WriteJson(string path, JsonNode node) =>
        WriteAllText(path, node.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            // Keep tokens such as "<s>" and "▁" readable instead of \u-escaped.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }) + "\n");
}
