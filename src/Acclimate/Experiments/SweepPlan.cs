using System.Security.Cryptography;
using System.Text;
using Acclimate.Errors;

namespace Acclimate.Experiments;

/// <summary>One run of a sweep: a setting at one seed, in its own folder.</summary>
/// <param name="Setting">The setting's label (everything but the seed), the leaderboard's row.</param>
/// <param name="Seed">The seed value ("default" when the sweep has no seed axis).</param>
/// <param name="Recipe">The base recipe file.</param>
/// <param name="Overrides">key=value overrides, as --set takes them.</param>
/// <param name="Folder">The run folder.</param>
public sealed record SweepCell(string Setting, string Seed, string Recipe, IReadOnlyList<string> Overrides, string Folder);

/// <summary>The cells of a sweep, in a fixed order (settings, then seeds), every recipe checked before anything runs.</summary>
public sealed class SweepPlan
{
    private SweepPlan(SweepSpec spec, IReadOnlyList<SweepCell> cells, IReadOnlyList<string> settings, IReadOnlyDictionary<string, string> baselineOf)
    {
        Spec = spec;
        Cells = cells;
        Settings = settings;
        BaselineOf = baselineOf;
    }

    /// <summary>
    /// For each setting, the setting it is compared with: the baseline named in the file, or, when
    /// that names one of the file's settings and other axes vary too, the baseline setting with the
    /// same values of those axes.
    /// </summary>
    public IReadOnlyDictionary<string, string> BaselineOf { get; }

    /// <summary>The sweep file the plan was built from.</summary>
    public SweepSpec Spec { get; }
    /// <summary>Every cell (setting × axis values × seed), each with its folder and overrides.</summary>
    public IReadOnlyList<SweepCell> Cells { get; }
    /// <summary>Setting labels in plan order.</summary>
    public IReadOnlyList<string> Settings { get; }

    /// <summary>
    /// Expands <paramref name="spec"/>; <paramref name="validate"/> binds one cell's recipe with its
    /// overrides and throws on an unknown key or a bad value (so a typo fails before any run).
    /// </summary>
    public static SweepPlan Create(SweepSpec spec, Action<string, IReadOnlyList<string>> validate)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(validate);
        var seeds = spec.Axes.FirstOrDefault(a => a.Key == spec.SeedKey).Values ?? new[] { "default" };
        var otherAxes = spec.Axes.Where(a => a.Key != spec.SeedKey).ToList();

        // Every combination of recipe × named setting × other axis values, labelled readably.
        var combos = new List<(string Label, string Recipe, List<(string Key, string Value)> Overrides)>();
        var parts = new Dictionary<string, (string Prefix, string Name, string Axes)>(StringComparer.Ordinal);
        var named = spec.Settings.Count > 0 ? spec.Settings : new[] { ("", (IReadOnlyList<(string, string)>)Array.Empty<(string, string)>()) };
        foreach (var recipe in spec.Recipes)
            foreach (var (name, overrides) in named)
            {
                var partial = new List<(string AxisLabel, List<(string, string)> Overrides)> { ("", overrides.ToList()) };
                foreach (var (key, values) in otherAxes)
                    partial = partial.SelectMany(p => values.Select(v => (Join(p.AxisLabel, $"{key}={v}"), p.Overrides.Append((key, v)).ToList()))).ToList();
                var prefix = spec.Recipes.Count > 1 ? Path.GetFileNameWithoutExtension(recipe) : "";
                foreach (var (axisLabel, o) in partial)
                {
                    var label = Join(prefix, Join(name, axisLabel));
                    if (label.Length == 0) label = "default";
                    parts[label] = (prefix, name, axisLabel);
                    combos.Add((label, recipe, o));
                }
            }
        var clash = combos.GroupBy(c => c.Label).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null) throw new ConfigException($"{spec.Source}: two settings are both labelled '{clash.Key}'.");

        if (spec.Search == SearchKind.Random && spec.Trials < combos.Count)
        {
            var random = new Random(spec.SearchSeed);
            combos = combos.OrderBy(_ => random.Next()).Take(spec.Trials).ToList();
        }
        var baselineOf = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.Baseline is { } baseline)
        {
            var labels = combos.Select(c => c.Label).ToHashSet(StringComparer.Ordinal);
            var isSettingName = spec.Settings.Any(s => s.Name == baseline);
            foreach (var label in labels)
            {
                var (prefix, _, axes) = parts[label];
                var partner = labels.Contains(baseline) ? baseline : isSettingName ? Join(prefix, Join(baseline, axes)) : null;
                if (partner is not null && labels.Contains(partner) && partner != label) baselineOf[label] = partner;
            }
            if (!labels.Contains(baseline) && !isSettingName)
                throw new ConfigException($"{spec.Source}: baseline '{baseline}' is not one of the settings: {string.Join(", ", combos.Select(c => c.Label))}.");
        }

        var cells = new List<SweepCell>();
        foreach (var (label, recipe, overrides) in combos)
        {
            if (!File.Exists(recipe)) throw new ConfigException($"{spec.Source}: recipe '{recipe}' not found.");
            foreach (var seed in seeds)
            {
                var all = overrides.Select(o => $"{o.Key}={o.Value}").ToList();
                if (seed != "default") all.Add($"{spec.SeedKey}={seed}");
                try { validate(recipe, all); }
                catch (AcclimateException e) { throw new ConfigException($"{spec.Source}: setting '{label}', seed {seed}: {e.Message}", e); }
                cells.Add(new SweepCell(label, seed, recipe, all, Path.Combine(spec.Output, Slug(label), "seed-" + Slug(seed))));
            }
        }
        return new SweepPlan(spec, cells, combos.Select(c => c.Label).ToList(), baselineOf);
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : a + ", " + b;

    /// <summary>A folder name for a label: readable characters kept, the rest '_', plus a short hash when anything was changed or cut.</summary>
    public static string Slug(string label)
    {
        var chars = label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '=' ? c : '_').ToArray();
        var slug = new string(chars);
        if (slug == label && slug.Length <= 60) return slug;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(label)))[..8];
        return (slug.Length > 50 ? slug[..50] : slug).Trim('_') + "-" + hash;
    }
}
