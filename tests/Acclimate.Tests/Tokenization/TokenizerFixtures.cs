using System.Text.Json;

namespace Acclimate.Tests.Tokenization;

/// <summary>Finds tests/fixtures/tokenizers from the repository root and reads golden.jsonl cases.</summary>
internal static class TokenizerFixtures
{
    public static string Root { get; } = FindRoot();

    public static string ModelDir(string model) => Path.Combine(Root, model);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Acclimate.sln")))
        {
            dir = dir.Parent;
        }
        if (dir is null)
        {
            throw new InvalidOperationException($"No Acclimate.sln above {AppContext.BaseDirectory}; cannot locate tests/fixtures.");
        }
        return Path.Combine(dir.FullName, "tests", "fixtures", "tokenizers");
    }

    public static List<GoldenCase> ReadGolden(string model) =>
        File.ReadLines(Path.Combine(ModelDir(model), "golden.jsonl"))
            .Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<GoldenCase>(l, Json)!)
            .ToList();

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

/// <summary>One line of golden.jsonl (HuggingFace tokenizers' output).</summary>
internal sealed record GoldenCase(
    int Id,
    string Category,
    string Text,
    string? TextPair,
    int[] Ids,
    string[] Tokens,
    int[][] Offsets,
    int[][] OffsetsUtf16,
    int[] TypeIds,
    int?[] SequenceIds,
    int[] SpecialTokensMask);
