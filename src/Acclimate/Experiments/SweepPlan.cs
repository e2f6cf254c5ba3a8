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
public sealed record SweepCell(string Setting, string Seed, string Recipe, IReadOnlyList<string> Overrides, string Folder)
{
    /// <summary>What the cell runs: the sweep's kind, or <see cref="SweepKind.Pretrain"/> for a pretraining run of the pretraining level.</summary>
    public SweepKind Kind { get; init; } = SweepKind.Finetune;
    /// <summary>The independent pretraining run this cell belongs to (its pretraining seed), or null when its setting does not pretrain.</summary>
    public string? PretrainingRun { get; init; }
    /// <summary>The pretraining cell whose final model this cell fine-tunes, or null.</summary>
    public SweepCell? Pretraining { get; init; }
    /// <summary>The label of the unit this cell's value belongs to in a table: the seed, or "run R, seed S".</summary>
    public string UnitLabel => PretrainingRun is null ? Seed : Kind == SweepKind.Pretrain && Pretraining is null ? $"run {PretrainingRun}" : $"run {PretrainingRun} seed {Seed}";
}

/// <summary>The cells of a sweep, in a fixed order (settings, then seeds), every recipe checked before anything runs.</summary>
public sealed class SweepPlan
{
    private SweepPlan(SweepSpec spec, IReadOnlyList<SweepCell> pretraining, IReadOnlyList<SweepCell> cells, IReadOnlyList<string> settings, IReadOnlyDictionary<string, string> baselineOf)
    {
        Spec = spec;
        PretrainingCells = pretraining;
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
    /// <summary>Every cell (setting × axis values × [pretraining run ×] seed), each with its folder and overrides: the leaderboard's values.</summary>
    public IReadOnlyList<SweepCell> Cells { get; }
    /// <summary>The pretraining level: one cell per pretraining setting and pretraining run, run before the cells that fine-tune its model.</summary>
    public IReadOnlyList<SweepCell> PretrainingCells { get; }
    /// <summary>Independent pretraining runs behind <paramref name="setting"/>: 0 when it does not pretrain in this sweep.</summary>
    public int PretrainingRunsOf(string setting) => Cells.Where(c => c.Setting == setting && c.PretrainingRun is not null).Select(c => c.PretrainingRun).Distinct().Count();
    /// <summary>Setting labels in plan order.</summary>
    public IReadOnlyList<string> Settings { get; }

    /// <summary>
    /// Expands <paramref name="spec"/>; <paramref name="validate"/> binds one cell's recipe with its
    /// overrides and throws on an unknown key or a bad value (so a typo fails before any run).
    /// </summary>
    public static SweepPlan Create(SweepSpec spec, Action<string, IReadOnlyList<string>> validate) => Create(spec, validate, validate);

    /// <summary>
    /// Expands <paramref name="spec"/>, binding every cell's recipe with <paramref name="validate"/> and
    /// every pretraining cell's with <paramref name="validatePretraining"/>.
    /// </summary>
    public static SweepPlan Create(SweepSpec spec, Action<string, IReadOnlyList<string>> validate, Action<string, IReadOnlyList<string>> validatePretraining)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(validate);
        ArgumentNullException.ThrowIfNull(validatePretraining);
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
        var pretrainingCells = new Dictionary<(string Name, string Run), SweepCell>();
        foreach (var (label, recipe, overrides) in combos)
        {
            if (!File.Exists(recipe)) throw new ConfigException($"{spec.Source}: recipe '{recipe}' not found.");
            var pretrain = overrides.Where(o => o.Key.StartsWith(SweepSpec.PretrainPrefix, StringComparison.Ordinal)).ToList();
            var own = overrides.Where(o => !o.Key.StartsWith(SweepSpec.PretrainPrefix, StringComparison.Ordinal)).Select(o => $"{o.Key}={o.Value}").ToList();
            var runs = pretrain.Count == 0 ? new string?[] { null } : spec.PretrainingRuns.Select(r => (string?)r).ToArray();
            foreach (var run in runs)
            {
                SweepCell? pretraining = null;
                if (run is not null)
                {
                    var name = parts[label].Name;
                    if (!pretrainingCells.TryGetValue((name, run), out pretraining))
                    {
                        var pretrainRecipe = pretrain.Single(o => o.Key == SweepSpec.PretrainPrefix + "recipe").Value;
                        if (!File.Exists(pretrainRecipe)) throw new ConfigException($"{spec.Source}: setting '{name}': pretraining recipe '{pretrainRecipe}' not found.");
                        var pretrainOverrides = pretrain.Where(o => o.Key != SweepSpec.PretrainPrefix + "recipe")
                            .Select(o => $"{o.Key[SweepSpec.PretrainPrefix.Length..]}={o.Value}").Append($"{spec.PretrainingSeedKey}={run}").ToList();
                        try { validatePretraining(pretrainRecipe, pretrainOverrides); }
                        catch (AcclimateException e) { throw new ConfigException($"{spec.Source}: setting '{name}', pretraining run {run}: {e.Message}", e); }
                        pretraining = new SweepCell(name, run, pretrainRecipe, pretrainOverrides, Path.Combine(spec.PretrainingOutput ?? Path.Combine(spec.Output, "pretraining"), Slug(name), "run-" + Slug(run)))
                        {
                            Kind = SweepKind.Pretrain,
                            PretrainingRun = run,
                        };
                        CheckSameRun(spec, pretraining);
                        pretrainingCells[(name, run)] = pretraining;
                    }
                }
                foreach (var seed in seeds)
                {
                    var all = own.ToList();
                    if (pretraining is not null) all.Add($"{spec.PretrainedModelKey}={Path.Combine(pretraining.Folder, PretrainedModelFolder)}");
                    if (seed != "default") all.Add($"{spec.SeedKey}={seed}");
                    try { validate(recipe, all); }
                    catch (AcclimateException e) { throw new ConfigException($"{spec.Source}: setting '{label}', seed {seed}: {e.Message}", e); }
                    var folder = run is null ? Path.Combine(spec.Output, Slug(label), "seed-" + Slug(seed)) : Path.Combine(spec.Output, Slug(label), "pretraining-run-" + Slug(run), "seed-" + Slug(seed));
                    cells.Add(new SweepCell(label, seed, recipe, all, folder) { Kind = spec.Kind, PretrainingRun = run, Pretraining = pretraining });
                }
            }
        }
        return new SweepPlan(spec, pretrainingCells.Values.ToList(), cells, combos.Select(c => c.Label).ToList(), baselineOf);
    }

    /// <summary>
    /// A finished pretraining run (shared with another sweep through <c>pretraining_output</c>, or
    /// left by an earlier version of this one) is reused only when it was made from the same recipe
    /// and overrides; anything else would silently fine-tune another model than the file describes.
    /// </summary>
    private static void CheckSameRun(SweepSpec spec, SweepCell cell)
    {
        var done = Path.Combine(cell.Folder, SweepRunner.DoneFile);
        if (!File.Exists(done)) return;
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(done));
        var recipe = node?["recipe"]?.GetValue<string>();
        var overrides = (node?["overrides"] as System.Text.Json.Nodes.JsonArray)?.Select(o => o!.GetValue<string>()).ToList() ?? new List<string>();
        if (recipe != cell.Recipe || !overrides.SequenceEqual(cell.Overrides))
            throw new ConfigException($"{spec.Source}: setting '{cell.Setting}', pretraining run {cell.PretrainingRun}: {cell.Folder} already holds a run made from {recipe} " +
                                      $"with [{string.Join(", ", overrides)}], not from {cell.Recipe} with [{string.Join(", ", cell.Overrides)}]; rename the setting or move that folder.");
    }

    /// <summary>The sub-folder of a pretraining run that holds its final model (the pretraining run's <c>model/</c>).</summary>
    public const string PretrainedModelFolder = "model";

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
