namespace Acclimate.Experiments;

/// <summary>How the p-values of one family of comparisons (one leaderboard) are corrected.</summary>
public enum Correction
{
    /// <summary>Holm's step-down procedure: controls the family-wise error rate (the chance of any false claim), uniformly more powerful than Bonferroni.</summary>
    Holm,
    /// <summary>Benjamini–Hochberg: controls the false discovery rate (the expected share of false claims among the claims made).</summary>
    BenjaminiHochberg,
    /// <summary>No correction: each comparison on its own (only for a single planned comparison).</summary>
    None,
}

/// <summary>Adjusted p-values for a family of tests, so that "adjusted p &lt; α" is the corrected decision.</summary>
public static class MultipleTesting
{
    /// <summary>
    /// Adjusts <paramref name="p"/> (nulls are comparisons without a test; they stay null and do not
    /// count in the family). Holm: sorted ascending, p̃₍ᵢ₎ = max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎).
    /// Benjamini–Hochberg: p̃₍ᵢ₎ = min over j ≥ i of min(1, m/j·p₍ⱼ₎). m is the number of non-null p-values.
    /// </summary>
    public static IReadOnlyList<double?> Adjust(IReadOnlyList<double?> p, Correction correction)
    {
        ArgumentNullException.ThrowIfNull(p);
        var result = new double?[p.Count];
        var present = Enumerable.Range(0, p.Count).Where(i => p[i] is not null).ToList();
        foreach (var i in present)
            if (p[i] is < 0 or > 1 || double.IsNaN(p[i]!.Value)) throw new ArgumentOutOfRangeException(nameof(p), $"p-value {p[i]} at position {i} is not in [0, 1].");
        var m = present.Count;
        // Ties keep their input order, so equal p-values get equal adjusted values either way.
        var order = present.OrderBy(i => p[i]!.Value).ThenBy(i => i).ToList();
        switch (correction)
        {
            case Correction.None:
                foreach (var i in present) result[i] = p[i];
                break;
            case Correction.Holm:
            {
                var running = 0.0;
                for (var rank = 0; rank < m; rank++)
                {
                    var i = order[rank];
                    running = Math.Max(running, Math.Min(1, (m - rank) * p[i]!.Value));
                    result[i] = running;
                }
                break;
            }
            case Correction.BenjaminiHochberg:
            {
                var running = 1.0;
                for (var rank = m - 1; rank >= 0; rank--)
                {
                    var i = order[rank];
                    running = Math.Min(running, Math.Min(1, (double)m / (rank + 1) * p[i]!.Value));
                    result[i] = running;
                }
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(correction));
        }
        return result;
    }

    /// <summary>The name a table prints for <paramref name="correction"/>.</summary>
    public static string Name(Correction correction) => correction switch
    {
        Correction.Holm => "Holm",
        Correction.BenjaminiHochberg => "Benjamini–Hochberg",
        _ => "none",
    };
}
