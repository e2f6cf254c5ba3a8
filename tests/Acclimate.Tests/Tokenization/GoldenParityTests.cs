using System.Text;
using Acclimate.Tokenization;
using Xunit.Abstractions;

namespace Acclimate.Tests.Tokenization;

/// <summary>
/// Every golden case of every fixture model must match HuggingFace tokenizers exactly: ids, tokens,
/// UTF-16 and code point offsets, type ids, sequence ids and special-token mask.
/// </summary>
public sealed class GoldenParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("bert-base-uncased", 337)]
    [InlineData("bert-base-cased", 337)]
    [InlineData("bert-base-chinese", 337)]
    [InlineData("roberta-base", 337)]
    [InlineData("albert-base-v2", 337)]
    public void AllGoldenCasesMatch(string model, int expectedCases)
    {
        var tokenizer = TokenizerLoader.FromFolder(TokenizerFixtures.ModelDir(model));
        var cases = TokenizerFixtures.ReadGolden(model);
        Assert.Equal(expectedCases, cases.Count);

        var report = new StringBuilder();
        int mismatches = 0;
        foreach (var g in cases)
        {
            var encoded = tokenizer.Encode(g.Text, g.TextPair);
            if (GoldenComparison.FirstDifference(g, encoded) is { } difference)
            {
                mismatches++;
                report.AppendLine($"case {g.Id} ({g.Category}) {Show(g.Text)} | {Show(g.TextPair)}: {difference}");
            }
        }
        output.WriteLine($"{model}: {cases.Count - mismatches}/{cases.Count} cases match");
        output.WriteLine(report.ToString());
        Assert.True(mismatches == 0, $"{model}: {mismatches} of {cases.Count} golden cases differ from HuggingFace:\n{report}");
    }

    private static string Show(string? s) => s is null ? "null" : "\"" + (s.Length > 80 ? s[..80] + "…" : s) + "\"";
}
