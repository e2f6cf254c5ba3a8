using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Acclimate.Tokenization;
using Spectre.Console;

namespace Acclimate.Demos;

/// <summary>
/// The demo's tokenizer section: every golden case that HuggingFace's own tokenizers produced for
/// five real vocabularies is encoded again here and compared id by id and offset by offset.
/// </summary>
internal static class FoundationDemoTokenizers
{
    public static bool Run(string fixtures, IAnsiConsole console, StringBuilder report)
    {
        var root = Path.Combine(fixtures, "tokenizers");
        console.WriteLine();
        console.MarkupLine("[bold]4. Tokenizers against HuggingFace's tokenizers[/]");
        report.AppendLine("### 1.4 Tokenizers against HuggingFace's tokenizers");
        report.AppendLine();
        report.AppendLine("Each golden case (Brown and nlp-corpus sentences, Chinese news and Weibo, accents, emoji, URLs, control characters, pairs, …) " +
                          "is encoded with special tokens; ids and UTF-16 offsets must equal HuggingFace's.");
        report.AppendLine();
        var table = new MarkdownTable("vocabulary", "kind", "cases", "ids equal", "offsets equal", "encode speed");
        var ok = true;
        foreach (var dir in Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal))
        {
            var golden = Path.Combine(dir, "golden.jsonl");
            if (!File.Exists(golden)) continue;
            var tokenizer = TokenizerLoader.FromFolder(dir);
            int cases = 0, idsEqual = 0, offsetsEqual = 0;
            long characters = 0;
            var clock = new Stopwatch();
            foreach (var line in File.ReadLines(golden))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var doc = JsonDocument.Parse(line);
                var c = doc.RootElement;
                var text = c.GetProperty("text").GetString()!;
                var pair = c.GetProperty("text_pair").ValueKind == JsonValueKind.String ? c.GetProperty("text_pair").GetString() : null;
                clock.Start();
                var encoded = tokenizer.Encode(text, pair);
                clock.Stop();
                characters += text.Length + (pair?.Length ?? 0);
                cases++;
                var ids = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                if (ids.SequenceEqual(encoded.Ids)) idsEqual++;
                var offsets = c.GetProperty("offsets_utf16").EnumerateArray().Select(e => (e[0].GetInt32(), e[1].GetInt32())).ToArray();
                if (offsets.SequenceEqual(encoded.Offsets.Select(o => (o.Start, o.End)))) offsetsEqual++;
            }
            ok &= idsEqual == cases && offsetsEqual == cases;
            var speed = characters / Math.Max(clock.Elapsed.TotalSeconds, 1e-9) / 1e6;
            table.Add(Path.GetFileName(dir), tokenizer.Kind, cases, idsEqual, offsetsEqual,
                speed.ToString("F1", CultureInfo.InvariantCulture) + " M chars/s");
        }
        console.Write(table.ToConsole());
        report.AppendLine(table.ToMarkdown());
        return ok;
    }
}
