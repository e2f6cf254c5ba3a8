using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;

namespace Acclimate.FineTuning;

/// <summary>
/// Everything that defines a <see cref="SequenceLabeler"/>'s head: labels, the head kind, the CRF
/// and its constraints, how encoder layers are fused, and the head's sizes. Saved beside the
/// encoder as <c>head_config.json</c>, so a saved labeler rebuilds itself from its folder alone.
/// </summary>
public sealed record SequenceLabelerOptions
{
    /// <summary>Label names by id (the tag set, e.g. O, B-PER, I-PER, …).</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Token head on the encoder's states.</summary>
    public TokenHeadKind Head { get; init; } = TokenHeadKind.Linear;

    /// <summary>Whether a CRF scores whole tag sequences on top of the head's per-token scores.</summary>
    public bool UseCrf { get; init; }

    /// <summary>Allowed transitions/starts/ends for the CRF (from the tagging scheme); null = unconstrained.</summary>
    public CrfConstraints? CrfConstraints { get; init; }

    /// <summary>How the CRF's negative log-likelihood is reduced over the batch.</summary>
    public CrfReduction CrfReduction { get; init; } = CrfReduction.Mean;

    /// <summary>How hidden states of the last layers are combined before the head.</summary>
    public LayerFusion Fusion { get; init; } = LayerFusion.Last;

    /// <summary>How many of the last hidden states <see cref="Fusion"/> uses (1 for <see cref="LayerFusion.Last"/>).</summary>
    public int FusedLayers { get; init; } = 1;

    /// <summary>Dropout on the fused features and again before the classifier.</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>BiLSTM: hidden size per direction.</summary>
    public int LstmHiddenSize { get; init; } = 256;

    /// <summary>BiLSTM: stacked layers.</summary>
    public int LstmLayers { get; init; } = 1;

    /// <summary>BiLSTM: dropout between stacked LSTM layers (PyTorch's <c>dropout</c> argument).</summary>
    public double LstmDropout { get; init; }

    /// <summary>CNN: one convolution per kernel width, all with same-length padding.</summary>
    public IReadOnlyList<int> CnnKernelSizes { get; init; } = new[] { 3 };

    /// <summary>CNN: output channels of each convolution.</summary>
    public int CnnChannels { get; init; } = 128;

    /// <summary>Number of labels.</summary>
    public int NumLabels => Labels.Count;

    /// <summary>Checks the options against an encoder with <paramref name="hiddenStates"/> hidden states (layers + 1).</summary>
    public void Validate(int hiddenStates)
    {
        if (Labels is null || Labels.Count == 0) throw new ConfigException("sequence labeler: at least one label is needed.");
        if (Labels.Distinct(StringComparer.Ordinal).Count() != Labels.Count) throw new ConfigException($"sequence labeler: labels repeat: [{string.Join(", ", Labels)}].");
        if (!Enum.IsDefined(Head)) throw new ConfigException($"sequence labeler: unknown head {Head}.");
        if (!Enum.IsDefined(Fusion)) throw new ConfigException($"sequence labeler: unknown fusion {Fusion}.");
        if (!Enum.IsDefined(CrfReduction)) throw new ConfigException($"sequence labeler: unknown CRF reduction {CrfReduction}.");
        if (Fusion == LayerFusion.Last && FusedLayers != 1)
            throw new ConfigException($"sequence labeler: fusion 'last' uses one layer; fused_layers is {FusedLayers} (choose mean, concat or scalar_mix to fuse several).");
        if (FusedLayers < 1 || FusedLayers > hiddenStates)
            throw new ConfigException($"sequence labeler: fused_layers must be in 1..{hiddenStates} (the encoder's layers plus the embeddings); got {FusedLayers}.");
        if (Dropout < 0 || Dropout >= 1) throw new ConfigException($"sequence labeler: dropout must be in [0, 1); got {Dropout}.");
        if (CrfConstraints is not null && !UseCrf) throw new ConfigException("sequence labeler: CRF constraints are set but use_crf is false.");
        if (CrfConstraints is not null && CrfConstraints.NumTags != Labels.Count)
            throw new ConfigException($"sequence labeler: the CRF constraints cover {CrfConstraints.NumTags} tags but there are {Labels.Count} labels.");
        if (Head == TokenHeadKind.BiLstm)
        {
            if (LstmHiddenSize <= 0 || LstmLayers <= 0) throw new ConfigException($"sequence labeler: LSTM hidden size {LstmHiddenSize} and layers {LstmLayers} must be positive.");
            if (LstmDropout < 0 || LstmDropout >= 1) throw new ConfigException($"sequence labeler: LSTM dropout must be in [0, 1); got {LstmDropout}.");
        }
        if (Head == TokenHeadKind.Cnn)
        {
            if (CnnKernelSizes is null || CnnKernelSizes.Count == 0 || CnnKernelSizes.Any(k => k <= 0))
                throw new ConfigException($"sequence labeler: CNN kernel sizes must be positive and at least one; got [{string.Join(", ", CnnKernelSizes ?? Array.Empty<int>())}].");
            if (CnnChannels <= 0) throw new ConfigException($"sequence labeler: CNN channels must be positive; got {CnnChannels}.");
        }
    }

    /// <summary>The JSON written as head_config.json.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion,
            ["labels"] = new JsonArray(Labels.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
            ["head"] = HeadName(Head),
            ["use_crf"] = UseCrf,
            ["crf_reduction"] = ReductionName(CrfReduction),
            ["fusion"] = FusionName(Fusion),
            ["fused_layers"] = FusedLayers,
            ["dropout"] = Dropout,
            ["lstm_hidden_size"] = LstmHiddenSize,
            ["lstm_layers"] = LstmLayers,
            ["lstm_dropout"] = LstmDropout,
            ["cnn_kernel_sizes"] = new JsonArray(CnnKernelSizes.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
            ["cnn_channels"] = CnnChannels,
        };
        if (CrfConstraints is { } c)
        {
            var n = c.NumTags;
            json["crf_constraints"] = new JsonObject
            {
                ["allowed"] = new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode?)new JsonArray(Enumerable.Range(0, n).Select(j => (JsonNode?)JsonValue.Create(c.Allowed(i, j))).ToArray())).ToArray()),
                ["allowed_start"] = new JsonArray(c.StartFlags().Select(b => (JsonNode?)JsonValue.Create(b)).ToArray()),
                ["allowed_end"] = new JsonArray(c.EndFlags().Select(b => (JsonNode?)JsonValue.Create(b)).ToArray()),
            };
        }
        return json;
    }

    /// <summary>Reads head_config.json text; <paramref name="source"/> names the file in error messages.</summary>
    public static SequenceLabelerOptions FromJson(string text, string source)
    {
        JsonObject json;
        try { json = JsonNode.Parse(text) as JsonObject ?? throw new ConfigException($"{source}: expected a JSON object."); }
        catch (JsonException e) { throw new ConfigException($"{source}: not valid JSON ({e.Message}).", e); }
        try
        {
            var format = json["format"]?.GetValue<string>();
            if (format != FormatName) throw new ConfigException($"{source}: 'format' is '{format}'; expected '{FormatName}'.");
            var version = json["format_version"]?.GetValue<int>();
            if (version != FormatVersion) throw new ConfigException($"{source}: format_version {version?.ToString(CultureInfo.InvariantCulture) ?? "missing"}; this build reads {FormatVersion}.");
            var labels = (json["labels"] as JsonArray ?? throw new ConfigException($"{source}: 'labels' must be an array of strings."))
                .Select(n => n?.GetValue<string>() ?? throw new ConfigException($"{source}: a label is null.")).ToArray();
            CrfConstraints? constraints = null;
            if (json["crf_constraints"] is JsonObject c)
            {
                var rows = (c["allowed"] as JsonArray ?? throw new ConfigException($"{source}: crf_constraints.allowed must be an array of arrays."))
                    .Select(r => (r as JsonArray ?? throw new ConfigException($"{source}: crf_constraints.allowed rows must be arrays.")).Select(v => v!.GetValue<bool>()).ToArray()).ToArray();
                var allowed = new bool[rows.Length, rows.Length];
                for (var i = 0; i < rows.Length; i++)
                {
                    if (rows[i].Length != rows.Length) throw new ConfigException($"{source}: crf_constraints.allowed row {i} has {rows[i].Length} entries; expected {rows.Length}.");
                    for (var j = 0; j < rows.Length; j++) allowed[i, j] = rows[i][j];
                }
                bool[] Flags(string name) => (c[name] as JsonArray ?? throw new ConfigException($"{source}: crf_constraints.{name} must be an array of booleans."))
                    .Select(v => v!.GetValue<bool>()).ToArray();
                constraints = new CrfConstraints(allowed, Flags("allowed_start"), Flags("allowed_end"));
            }
            var defaults = new SequenceLabelerOptions { Labels = labels };
            return defaults with
            {
                Head = ParseName(json["head"]?.GetValue<string>() ?? "linear", "head", source, HeadName, Enum.GetValues<TokenHeadKind>()),
                UseCrf = json["use_crf"]?.GetValue<bool>() ?? false,
                CrfConstraints = constraints,
                CrfReduction = ParseName(json["crf_reduction"]?.GetValue<string>() ?? "mean", "crf_reduction", source, ReductionName, Enum.GetValues<CrfReduction>()),
                Fusion = ParseName(json["fusion"]?.GetValue<string>() ?? "last", "fusion", source, FusionName, Enum.GetValues<LayerFusion>()),
                FusedLayers = json["fused_layers"]?.GetValue<int>() ?? 1,
                Dropout = json["dropout"]?.GetValue<double>() ?? defaults.Dropout,
                LstmHiddenSize = json["lstm_hidden_size"]?.GetValue<int>() ?? defaults.LstmHiddenSize,
                LstmLayers = json["lstm_layers"]?.GetValue<int>() ?? defaults.LstmLayers,
                LstmDropout = json["lstm_dropout"]?.GetValue<double>() ?? defaults.LstmDropout,
                CnnKernelSizes = (json["cnn_kernel_sizes"] as JsonArray)?.Select(v => v!.GetValue<int>()).ToArray() ?? defaults.CnnKernelSizes,
                CnnChannels = json["cnn_channels"]?.GetValue<int>() ?? defaults.CnnChannels,
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new ConfigException($"{source}: a field has the wrong type ({e.Message}).", e);
        }
    }

    /// <summary>The value of head_config.json's "format" field.</summary>
    public const string FormatName = "acclimate-sequence-labeler";

    /// <summary>The version of head_config.json's format this code writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The head kind's name in head_config.json and recipes (linear, bilstm, cnn).</summary>
    public static string HeadName(TokenHeadKind head) => head switch
    {
        TokenHeadKind.BiLstm => "bilstm",
        TokenHeadKind.Cnn => "cnn",
        _ => "linear",
    };

    /// <summary>The fusion's name in head_config.json and recipes.</summary>
    public static string FusionName(LayerFusion fusion) => fusion switch
    {
        LayerFusion.Mean => "mean",
        LayerFusion.Concat => "concat",
        LayerFusion.ScalarMix => "scalar_mix",
        _ => "last",
    };

    /// <summary>The CRF loss reduction's name in head_config.json and recipes.</summary>
    public static string ReductionName(CrfReduction reduction) => reduction switch
    {
        CrfReduction.None => "none",
        CrfReduction.Sum => "sum",
        CrfReduction.TokenMean => "token_mean",
        _ => "mean",
    };

    /// <summary>Parses a recipe/JSON name (linear, bilstm, cnn; last, mean, concat, scalar_mix; …) into its enum value.</summary>
    public static T ParseName<T>(string name, string field, string source, Func<T, string> nameOf, IEnumerable<T> values) where T : struct, Enum
    {
        foreach (var value in values)
            if (string.Equals(nameOf(value), name, StringComparison.OrdinalIgnoreCase)) return value;
        throw new ConfigException($"{source}: '{field}' is '{name}'; expected one of {string.Join(", ", values.Select(nameOf))}.");
    }
}
