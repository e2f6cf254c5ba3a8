using System.Globalization;
using Acclimate.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Acclimate.Experiments;

/// <summary>
/// How the bootstrap groups test items: each prediction's row in its test file (JSONL, found by the
/// prediction's <c>source</c> and <c>line</c>) gives <see cref="Field"/>; items whose values are equal
/// after deleting every match of <see cref="Remove"/> form one group.
/// </summary>
public sealed record BootstrapGroup
{
    /// <summary>Groups test items by <paramref name="field"/>, after deleting matches of <paramref name="remove"/>.</summary>
    public BootstrapGroup(string field, string? remove)
    {
        Field = field;
        Remove = remove;
        Pattern = remove is null ? null : new System.Text.RegularExpressions.Regex(remove, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }

    /// <summary>The test file's field that names an item's group (e.g. text).</summary>
    public string Field { get; }
    /// <summary>A regular expression deleted from the field before comparing (e.g. entity markers), or null.</summary>
    public string? Remove { get; }
    /// <summary>The compiled <see cref="Remove"/>.</summary>
    internal System.Text.RegularExpressions.Regex? Pattern { get; }

    /// <summary>The group key of a field value: whitespace runs collapsed after the removal.</summary>
    public string KeyOf(string value) =>
        System.Text.RegularExpressions.Regex.Replace(Pattern is null ? value : Pattern.Replace(value, ""), @"\s+", " ").Trim();
}

/// <summary>What each cell of a sweep runs.</summary>
public enum SweepKind
{
    /// <summary>Each cell is a fine-tuning run (<c>acclimate finetune</c>).</summary>
    Finetune,
    /// <summary>Each cell is a pretraining run (<c>acclimate pretrain</c>).</summary>
    Pretrain,
}

/// <summary>Grid: every combination. Random: <see cref="SweepSpec.Trials"/> settings drawn from the grid (every seed of each).</summary>
public enum SearchKind
{
    /// <summary>Every combination of settings and axis values.</summary>
    Grid,
    /// <summary><see cref="SweepSpec.Trials"/> combinations drawn at random with <see cref="SweepSpec.SearchSeed"/>.</summary>
    Random,
}

/// <summary>
/// A sweep file: base recipe, named settings and axes (any recipe key → values), the seed axis,
/// the metric, the baseline setting, grid or random search. Settings × axis values × seeds are the cells.
/// </summary>
/// <example>
/// kind: finetune
/// recipe: recipes/finetune-ner-crf-minilm.yaml
/// output: runs/sweeps/ner-init
/// metric: test.f1
/// settings:
///   pretrained: { model.encoder: runs/encoders/all-MiniLM-L6-v2 }
///   random-init: { model.encoder: runs/encoders/minilm-shape-random, training.learning_rate: 5.0e-4 }
/// axes:
///   training.seed: [1, 2, 3]
/// baseline: random-init
/// </example>
public sealed record SweepSpec
{
    /// <summary>The sweep file's path (named in error messages).</summary>
    public required string Source { get; init; }
    /// <summary>Whether each cell fine-tunes or pretrains.</summary>
    public SweepKind Kind { get; init; } = SweepKind.Finetune;
    /// <summary>Base recipe path(s); several add a "recipe" axis.</summary>
    public required IReadOnlyList<string> Recipes { get; init; }
    /// <summary>Folder that receives one subfolder per cell.</summary>
    public required string Output { get; init; }
    /// <summary>Dotted path of the metric in the cell's <see cref="MetricFile"/> (e.g. test.f1, held_out.domain.after_perplexity).</summary>
    public string Metric { get; init; } = "test.f1";
    /// <summary>The JSON file in each cell's folder that holds the metric.</summary>
    public string MetricFile { get; init; } = "results.json";
    /// <summary>True when a larger metric is better (F1, accuracy); false for perplexity or loss.</summary>
    public bool GreaterIsBetter { get; init; } = true;
    /// <summary>The recipe key whose values are seeds (paired across settings).</summary>
    public string SeedKey { get; init; } = "training.seed";
    /// <summary>Named bundles of overrides (e.g. an encoder with its learning rate); empty = one unnamed setting.</summary>
    public IReadOnlyList<(string Name, IReadOnlyList<(string Key, string Value)> Overrides)> Settings { get; init; } = Array.Empty<(string, IReadOnlyList<(string, string)>)>();
    /// <summary>Axes in file order: recipe key → values.</summary>
    public IReadOnlyList<(string Key, IReadOnlyList<string> Values)> Axes { get; init; } = Array.Empty<(string, IReadOnlyList<string>)>();
    /// <summary>The setting label the paired tests compare against (null: no tests).</summary>
    public string? Baseline { get; init; }
    /// <summary>Grid or random search over the settings and axes.</summary>
    public SearchKind Search { get; init; } = SearchKind.Grid;
    /// <summary>Random search: how many settings are drawn.</summary>
    public int Trials { get; init; }
    /// <summary>Random search: the seed of the draw.</summary>
    public int SearchSeed { get; init; }
    /// <summary>Cells run at the same time.</summary>
    public int Parallel { get; init; } = 1;
    /// <summary>The family-wise correction over the leaderboard's comparisons (Holm unless told otherwise).</summary>
    public Correction Correction { get; init; } = Correction.Holm;
    /// <summary>The level a corrected p must stay below for a gain or a loss.</summary>
    public double Alpha { get; init; } = 0.05;
    /// <summary>The power at which the minimum detectable effect is stated.</summary>
    public double Power { get; init; } = 0.8;
    /// <summary>An effect (metric units, e.g. 0.01 for one F1 point) whose required number of seeds or pretraining runs each verdict states; null: the observed difference.</summary>
    public double? EffectOfInterest { get; init; }
    /// <summary>Resample groups of test items instead of items in the bootstrap (e.g. the sentence of each ChemProt relation pair); null: items.</summary>
    public BootstrapGroup? BootstrapGroup { get; init; }
    /// <summary>
    /// Independent pretraining runs of every setting that pretrains (a <c>pretrain.recipe</c> override):
    /// each is run with its value as <see cref="PretrainingSeedKey"/>, and every fine-tuning seed runs
    /// on every one of them. Empty: no pretraining level.
    /// </summary>
    public IReadOnlyList<string> PretrainingRuns { get; init; } = Array.Empty<string>();
    /// <summary>The pretraining recipe key that takes each pretraining run's value.</summary>
    public string PretrainingSeedKey { get; init; } = "training.seed";
    /// <summary>The fine-tuning recipe key that receives a pretraining run's final model folder.</summary>
    public string PretrainedModelKey { get; init; } = "model.encoder";

    /// <summary>
    /// The folder that receives the pretraining runs (<c>&lt;folder&gt;/&lt;setting&gt;/run-&lt;r&gt;</c>); null:
    /// <c>&lt;output&gt;/pretraining</c>. Sweeps that name the same folder share the runs of settings with
    /// the same name, pretraining recipe and overrides (a run made with other ones is refused).
    /// </summary>
    public string? PretrainingOutput { get; init; }

    /// <summary>A setting's override key that names its pretraining recipe; <c>pretrain.KEY</c> overrides KEY of that recipe.</summary>
    public const string PretrainPrefix = "pretrain.";

    private static readonly string[] KnownKeys =
    {
        "kind", "recipe", "recipes", "output", "metric", "metric_file", "greater_is_better", "seed_key", "settings", "axes", "baseline", "search", "trials", "search_seed", "parallel",
        "correction", "alpha", "power", "effect_of_interest", "bootstrap_group", "pretraining_runs", "pretraining_seed_key", "pretrained_model_key", "pretraining_output",
    };

    /// <summary>Reads a sweep file; recipe paths are taken relative to the current folder, as on the command line.</summary>
    public static SweepSpec Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"{path}: sweep file not found.");
        var yaml = new YamlStream();
        try { yaml.Load(new StringReader(File.ReadAllText(path))); }
        catch (YamlException e) { throw new ConfigException($"{path}:{e.Start.Line}:{e.Start.Column}: not valid YAML ({e.Message}).", e); }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException($"{path}: expected a mapping of sweep keys at the top level.");
        string At(YamlNode n) => $"{path}:{n.Start.Line}:{n.Start.Column}";
        foreach (var key in root.Children.Keys)
            if (key is not YamlScalarNode { Value: { } k } || !KnownKeys.Contains(k))
                throw new ConfigException($"{At(key)}: unknown sweep key '{(key as YamlScalarNode)?.Value}' (expected one of: {string.Join(", ", KnownKeys)}).");
        YamlNode? Get(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
        string? Scalar(string key) => Get(key) switch
        {
            null => null,
            YamlScalarNode s => s.Value,
            var other => throw new ConfigException($"{At(other)}: '{key}' must be a single value."),
        };
        T Enum<T>(string key, T fallback) where T : struct =>
            Scalar(key) is { } v ? (System.Enum.TryParse<T>(v.Replace("_", ""), ignoreCase: true, out var parsed) ? parsed
                : throw new ConfigException($"{At(Get(key)!)}: {key} '{v}' is not one of {string.Join(", ", System.Enum.GetNames(typeof(T)).Select(n => n.ToLowerInvariant()))}.")) : fallback;
        int Int(string key, int fallback) =>
            Scalar(key) is { } v ? (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw new ConfigException($"{At(Get(key)!)}: {key} must be an integer, got '{v}'.")) : fallback;

        var recipes = new List<string>();
        if (Scalar("recipe") is { } single) recipes.Add(single);
        if (Get("recipes") is YamlSequenceNode many) recipes.AddRange(many.Children.Select(c => (c as YamlScalarNode)?.Value ?? throw new ConfigException($"{At(c)}: a recipe path must be a string.")));
        if (recipes.Count == 0) throw new ConfigException($"{path}: a sweep needs 'recipe' (or 'recipes'): the base recipe every cell starts from.");

        var settings = new List<(string, IReadOnlyList<(string, string)>)>();
        if (Get("settings") is { } settingsNode)
        {
            if (settingsNode is not YamlMappingNode map || map.Children.Count == 0)
                throw new ConfigException($"{At(settingsNode)}: 'settings' must map setting names to overrides, with at least one setting.");
            foreach (var (name, body) in map.Children)
            {
                if (body is not YamlMappingNode overrides)
                    throw new ConfigException($"{At(body)}: setting '{(name as YamlScalarNode)?.Value}' must be a mapping of recipe keys to values.");
                settings.Add((((YamlScalarNode)name).Value!, overrides.Children.Select(kv => (((YamlScalarNode)kv.Key).Value!, ScalarValue(kv.Value, At))).ToList()));
            }
        }

        var axes = new List<(string, IReadOnlyList<string>)>();
        if (Get("axes") is { } axesNode)
        {
            if (axesNode is not YamlMappingNode map) throw new ConfigException($"{At(axesNode)}: 'axes' must map recipe keys to lists of values.");
            foreach (var (keyNode, valuesNode) in map.Children)
            {
                var key = ((YamlScalarNode)keyNode).Value!;
                if (valuesNode is not YamlSequenceNode values || values.Children.Count == 0)
                    throw new ConfigException($"{At(valuesNode)}: axis '{key}' must be a non-empty list of values.");
                axes.Add((key, values.Children.Select(v => ScalarValue(v, At)).ToList()));
            }
        }

        double Real(string key, double fallback, double min, double max)
        {
            if (Scalar(key) is not { } v) return fallback;
            if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !(d > min && d < max))
                throw new ConfigException($"{At(Get(key)!)}: {key} must be a number between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)} (exclusive), got '{v}'.");
            return d;
        }

        var pretrainingRuns = new List<string>();
        if (Get("pretraining_runs") is { } runsNode)
        {
            if (runsNode is YamlSequenceNode list && list.Children.Count > 0)
                pretrainingRuns.AddRange(list.Children.Select(c => ScalarValue(c, At)));
            else if (runsNode is YamlScalarNode { Value: { } count } && int.TryParse(count, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) && k >= 1)
                pretrainingRuns.AddRange(Enumerable.Range(1, k).Select(i => i.ToString(CultureInfo.InvariantCulture)));
            else
                throw new ConfigException($"{At(runsNode)}: pretraining_runs must be a count (>= 1) or a non-empty list of pretraining seeds.");
            if (pretrainingRuns.Distinct().Count() != pretrainingRuns.Count) throw new ConfigException($"{At(runsNode)}: pretraining_runs lists a value twice.");
        }

        BootstrapGroup? group = null;
        if (Get("bootstrap_group") is { } groupNode)
        {
            if (groupNode is not YamlMappingNode groupMap)
                throw new ConfigException($"{At(groupNode)}: bootstrap_group must be a mapping: {{ field: NAME, remove: REGEX }} (remove is optional).");
            string? field = null, remove = null;
            foreach (var (k, v) in groupMap.Children)
            {
                var name = (k as YamlScalarNode)?.Value;
                if (name == "field") field = ScalarValue(v, At);
                else if (name == "remove") remove = ScalarValue(v, At);
                else throw new ConfigException($"{At(k)}: unknown bootstrap_group key '{name}' (expected field, remove).");
            }
            if (string.IsNullOrWhiteSpace(field)) throw new ConfigException($"{At(groupNode)}: bootstrap_group needs 'field': the test file's field whose equal values form one group.");
            try { group = new BootstrapGroup(field, remove); }
            catch (ArgumentException e) { throw new ConfigException($"{At(groupNode)}: bootstrap_group remove is not a valid regular expression ({e.Message}).", e); }
        }

        var spec = new SweepSpec
        {
            Source = path,
            Kind = Enum("kind", SweepKind.Finetune),
            Recipes = recipes,
            Output = Scalar("output") ?? throw new ConfigException($"{path}: a sweep needs 'output': the folder its cells are written under."),
            Metric = Scalar("metric") ?? (Enum("kind", SweepKind.Finetune) == SweepKind.Pretrain ? "held_out.domain.after_perplexity" : "test.f1"),
            MetricFile = Scalar("metric_file") ?? (Enum("kind", SweepKind.Finetune) == SweepKind.Pretrain ? "forgetting.json" : "results.json"),
            GreaterIsBetter = Scalar("greater_is_better") is { } g ? bool.Parse(g) : Enum("kind", SweepKind.Finetune) != SweepKind.Pretrain,
            SeedKey = Scalar("seed_key") ?? "training.seed",
            Settings = settings,
            Axes = axes,
            Baseline = Scalar("baseline"),
            Search = Enum("search", SearchKind.Grid),
            Trials = Int("trials", 0),
            SearchSeed = Int("search_seed", 0),
            Parallel = Int("parallel", 1),
            Correction = Enum("correction", Correction.Holm),
            Alpha = Real("alpha", 0.05, 0, 1),
            Power = Real("power", 0.8, 0, 1),
            EffectOfInterest = Scalar("effect_of_interest") is null ? null : Real("effect_of_interest", 0, 0, double.PositiveInfinity),
            BootstrapGroup = group,
            PretrainingRuns = pretrainingRuns,
            PretrainingSeedKey = Scalar("pretraining_seed_key") ?? "training.seed",
            PretrainedModelKey = Scalar("pretrained_model_key") ?? "model.encoder",
            PretrainingOutput = Scalar("pretraining_output"),
        };
        spec.Validate();
        return spec;
    }

    private static string ScalarValue(YamlNode node, Func<YamlNode, string> at) => node switch
    {
        YamlScalarNode { Value: { } v } => v,
        _ => throw new ConfigException($"{at(node)}: expected a single value (lists belong under 'axes')."),
    };

    /// <summary>Checks what can be checked without the recipes; the plan binds every cell's recipe next.</summary>
    public void Validate()
    {
        if (Parallel < 1) throw new ConfigException($"{Source}: parallel must be >= 1 (got {Parallel}).");
        if (Search == SearchKind.Random && Trials < 1) throw new ConfigException($"{Source}: search: random needs trials >= 1.");
        var duplicate = Axes.GroupBy(a => a.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ConfigException($"{Source}: axis '{duplicate.Key}' is given twice.");
        if (Settings.Select(s => s.Name).Distinct().Count() != Settings.Count) throw new ConfigException($"{Source}: two settings share a name.");
        if (Axes.Any(a => a.Key.StartsWith(PretrainPrefix, StringComparison.Ordinal)))
            throw new ConfigException($"{Source}: pretraining keys ({PretrainPrefix}…) belong in a setting, not on an axis.");
        var pretraining = Settings.Where(s => s.Overrides.Any(o => o.Key.StartsWith(PretrainPrefix, StringComparison.Ordinal))).ToList();
        foreach (var (name, overrides) in pretraining)
        {
            if (Kind != SweepKind.Finetune) throw new ConfigException($"{Source}: setting '{name}': {PretrainPrefix}… keys need kind: finetune (the pretraining runs feed fine-tuning cells).");
            if (!overrides.Any(o => o.Key == PretrainPrefix + "recipe")) throw new ConfigException($"{Source}: setting '{name}' has {PretrainPrefix}… keys but no {PretrainPrefix}recipe (the pretraining recipe its runs start from).");
            if (overrides.Any(o => o.Key == PretrainedModelKey)) throw new ConfigException($"{Source}: setting '{name}' pretrains, so its {PretrainedModelKey} is the pretraining run's model; remove the override.");
        }
        if (pretraining.Count > 0 && PretrainingRuns.Count == 0)
            throw new ConfigException($"{Source}: settings {string.Join(", ", pretraining.Select(s => $"'{s.Name}'"))} pretrain, so the sweep needs pretraining_runs (how many independent pretraining runs per setting, e.g. 2).");
        if (PretrainingRuns.Count > 0 && pretraining.Count == 0)
            throw new ConfigException($"{Source}: pretraining_runs is set but no setting has a {PretrainPrefix}recipe.");
    }
}
