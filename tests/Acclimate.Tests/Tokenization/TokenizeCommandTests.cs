using System.Text.Json;
using Acclimate.Cli;

namespace Acclimate.Tests.Tokenization;

/// <summary>The tokenize verb writes golden-format encodings and reports bad input lines.</summary>
public sealed class TokenizeCommandTests
{
    [Theory]
    [InlineData("bert-base-uncased")]
    [InlineData("roberta-base")]
    [InlineData("albert-base-v2")]
    public void WritesTheGoldenEncodings(string model)
    {
        // A spread of categories: plain text, pairs, emoji (UTF-16 vs code point offsets), special tokens in text.
        var cases = TokenizerFixtures.ReadGolden(model).Where((_, i) => i % 17 == 0).ToList();
        cases.AddRange(TokenizerFixtures.ReadGolden(model).Where(g => g.Category is "emoji_symbols" or "pair" or "special_tokens_in_text").Take(12));
        using var dir = new TempFolder();
        File.WriteAllLines(dir.File("in.jsonl"), cases.Select(g => JsonSerializer.Serialize(new { id = g.Id, text = g.Text, text_pair = g.TextPair })));
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = CliApp.Run(["tokenize", "--model", TokenizerFixtures.ModelDir(model), "--input", dir.File("in.jsonl"), "--output", dir.File("out.jsonl")], stdout, stderr);

        Assert.True(exit == 0, stderr.ToString());
        var lines = File.ReadAllLines(dir.File("out.jsonl"));
        Assert.Equal(cases.Count, lines.Length);
        for (int i = 0; i < cases.Count; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var root = doc.RootElement;
            var g = cases[i];
            Assert.Equal(g.Id, root.GetProperty("id").GetInt32());
            Assert.Equal(g.Ids, Ints(root, "ids"));
            Assert.Equal(g.Tokens, root.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(Flat(g.Offsets), Flat(Spans(root, "offsets")));
            Assert.Equal(Flat(g.OffsetsUtf16), Flat(Spans(root, "offsets_utf16")));
            Assert.Equal(g.TypeIds, Ints(root, "type_ids"));
            Assert.Equal(g.SpecialTokensMask, Ints(root, "special_tokens_mask"));
        }
        Assert.Contains($"Tokenized {cases.Count} line(s)", stdout.ToString());
    }

    [Fact]
    public void MalformedLineFailsWithFileAndLineAndNoOutput()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.jsonl"), "{\"text\": \"fine\"}\n\n{\"text\": oops}\n");
        var stderr = new StringWriter();

        int exit = CliApp.Run(["tokenize", "--model", TokenizerFixtures.ModelDir("bert-base-uncased"), "--input", dir.File("in.jsonl"),
            "--output", dir.File("out.jsonl")], new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains($"{dir.File("in.jsonl")}, line 3", stderr.ToString());
        Assert.False(File.Exists(dir.File("out.jsonl")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    [Fact]
    public void MissingTextFieldIsReported()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.jsonl"), "{\"texte\": \"typo\"}\n");
        var stderr = new StringWriter();
        int exit = CliApp.Run(["tokenize", "--model", TokenizerFixtures.ModelDir("bert-base-uncased"), "--input", dir.File("in.jsonl"),
            "--output", dir.File("out.jsonl")], new StringWriter(), stderr);
        Assert.Equal(2, exit);
        Assert.Contains("line 1", stderr.ToString());
        Assert.Contains("\"text\"", stderr.ToString());
    }

    [Fact]
    public void TruncationOptionsAreApplied()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.jsonl"), "{\"text\": \"hello world foo bar\"}\n");
        int exit = CliApp.Run(["tokenize", "--model", TokenizerFixtures.ModelDir("bert-base-uncased"), "--input", dir.File("in.jsonl"),
            "--output", dir.File("out.jsonl"), "--max-length", "4", "--truncation-side", "left"], new StringWriter(), new StringWriter());
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("out.jsonl")));
        Assert.Equal(new[] { 101, 29379, 3347, 102 }, Ints(doc.RootElement, "ids"));
    }

    private static int[] Ints(JsonElement root, string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static int[][] Spans(JsonElement root, string name) =>
        root.GetProperty(name).EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();

    private static int[] Flat(int[][] spans) => spans.SelectMany(s => s).ToArray();
}
