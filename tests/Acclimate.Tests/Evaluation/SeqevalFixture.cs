using System.Text.Json.Nodes;
using Acclimate.Evaluation;

namespace Acclimate.Tests.Evaluation;

/// <summary>
/// Finds tests/fixtures/seqeval from the repository root (the folder holding Acclimate.sln above the
/// test binaries), so the fixture is read in place rather than copied to the output.
/// </summary>
internal static class SeqevalFixture
{
    public const int CaseCount = 400;
    public const double Tolerance = 1e-6;

    private static readonly Lazy<string> Root = new(FindRepoRoot);
    private static readonly Lazy<IReadOnlyList<SeqevalCase>> LoadedCases = new(() => SeqevalCaseFile.Read(CasesPath).ToArray());
    private static readonly Lazy<IReadOnlyDictionary<string, SeqevalCase>> ById =
        new(() => LoadedCases.Value.ToDictionary(c => c.Id!, StringComparer.Ordinal));

    public static string RepoRoot => Root.Value;

    public static string CasesPath => Path.Combine(RepoRoot, "tests", "fixtures", "seqeval", "cases.jsonl");

    public static IReadOnlyList<SeqevalCase> Cases => LoadedCases.Value;

    public static SeqevalCase Case(string id) => ById.Value[id];

    /// <summary>The case ids as xunit theory data; the cases themselves are looked up by id.</summary>
    public static IEnumerable<object[]> Ids() => Cases.Select(c => new object[] { c.Id! });

    /// <summary>The raw lines of the fixture by id, for byte comparisons.</summary>
    public static IReadOnlyDictionary<string, string> RawLinesById() =>
        File.ReadLines(CasesPath)
            .Where(l => !string.IsNullOrWhiteSpace(l))
            .ToDictionary(l => JsonNode.Parse(l)!["id"]!.GetValue<string>(), l => l, StringComparer.Ordinal);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Acclimate.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Acclimate.sln above {AppContext.BaseDirectory}; cannot find tests/fixtures.");
    }
}
