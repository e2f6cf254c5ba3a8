using Acclimate.Errors;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// The method names of <c>acclimate augment --method</c>: <c>eda</c> (all four EDA operations) or any
/// of <c>sr</c>, <c>ri</c>, <c>rs</c>, <c>rd</c>, <c>contextual</c>, <c>mention</c>, comma-separated to combine.
/// </summary>
internal static class AugmentationMethods
{
    /// <summary>EDA's four operations, in the paper's order.</summary>
    public static IReadOnlyList<string> Eda { get; } = new[] { "sr", "ri", "rs", "rd" };

    /// <summary>Every operation name.</summary>
    public static IReadOnlyList<string> All { get; } = new[] { "sr", "ri", "rs", "rd", "contextual", "mention" };

    /// <summary>The operation names a method list stands for, in order, without repeats; an unknown name is a <see cref="ConfigException"/>.</summary>
    public static IReadOnlyList<string> Parse(string methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        var result = new List<string>();
        foreach (var raw in methods.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = raw.ToLowerInvariant();
            IEnumerable<string> operations = name switch
            {
                "eda" => Eda,
                "mlm" => new[] { "contextual" },
                _ when All.Contains(name) => new[] { name },
                _ => throw new ConfigException($"--method {raw}: unknown augmentation method; expected eda, sr, ri, rs, rd, contextual or mention (comma-separated to combine, e.g. eda,mention)."),
            };
            foreach (var op in operations)
                if (!result.Contains(op)) result.Add(op);
        }
        if (result.Count == 0) throw new ConfigException($"--method '{methods}': no method named; expected eda, sr, ri, rs, rd, contextual or mention.");
        return result;
    }

    /// <summary>True when any of the operations looks synonyms up.</summary>
    public static bool NeedsSynonyms(IEnumerable<string> operations) => operations.Any(o => o is "sr" or "ri");
}
