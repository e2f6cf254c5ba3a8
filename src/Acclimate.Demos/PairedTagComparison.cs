using System.Text.Json;
using Acclimate.Errors;

namespace Acclimate.Demos;

/// <summary>
/// Two taggers' test predictions compared token by token (McNemar's test on the discordant tokens):
/// <see cref="OnlyFirstRight"/> tokens the first tagger got right and the second wrong, and
/// <see cref="OnlySecondRight"/> the reverse. |z| ≥ 1.96 is a difference at the 5 % level (tokens are
/// treated as independent, which flatters the test a little).
/// </summary>
public sealed record PairedTagComparison(long Tokens, long OnlyFirstRight, long OnlySecondRight)
{
    /// <summary>McNemar's z = (second − first) / √(first + second); 0 when no token differs.</summary>
    public double Z => OnlyFirstRight + OnlySecondRight == 0 ? 0 : (OnlySecondRight - OnlyFirstRight) / Math.Sqrt(OnlyFirstRight + OnlySecondRight);

    public bool Significant => Math.Abs(Z) >= 1.96;

    /// <summary>Reads two predictions files (<c>{"tokens","gold","pred"}</c> per line) of the same sentences.</summary>
    public static PairedTagComparison FromFiles(string first, string second)
    {
        var a = Read(first);
        var b = Read(second);
        if (a.Count != b.Count) throw new DataException($"{second}: {b.Count} sentences, but {first} has {a.Count}; the two runs were not scored on the same test set.");
        long tokens = 0, onlyFirst = 0, onlySecond = 0;
        for (var i = 0; i < a.Count; i++)
        {
            var (goldA, predA) = a[i];
            var (goldB, predB) = b[i];
            if (!goldA.SequenceEqual(goldB, StringComparer.Ordinal))
                throw new DataException($"{second}: sentence {i + 1} differs from the same line of {first}; the two runs were not scored on the same test set.");
            for (var t = 0; t < goldA.Length; t++)
            {
                tokens++;
                var rightA = t < predA.Length && predA[t] == goldA[t];
                var rightB = t < predB.Length && predB[t] == goldB[t];
                if (rightA && !rightB) onlyFirst++;
                else if (rightB && !rightA) onlySecond++;
            }
        }
        return new PairedTagComparison(tokens, onlyFirst, onlySecond);
    }

    private static List<(string[] Gold, string[] Pred)> Read(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: predictions file not found.");
        var rows = new List<(string[], string[])>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                string[] Field(string name) => doc.RootElement.GetProperty(name).EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
                rows.Add((Field("gold"), Field("pred")));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new DataException($"{path}:{number}: expected a JSON object with 'gold' and 'pred' arrays ({e.Message}).", e);
            }
        }
        return rows;
    }
}
