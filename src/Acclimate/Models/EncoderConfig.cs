using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Models;

/// <summary>The architectures Acclimate implements, named as HF's <c>model_type</c>.</summary>
public enum ModelType
{
    /// <summary>BERT (<c>bert</c>).</summary>
    Bert,
    /// <summary>RoBERTa (<c>roberta</c>): byte-BPE vocabulary, positions numbered after the padding id.</summary>
    Roberta,
    /// <summary>ALBERT (<c>albert</c>): factorized embeddings, layers shared across the depth.</summary>
    Albert,
    /// <summary>ELECTRA (<c>electra</c>): a discriminator, with embeddings projected when narrower than the hidden states.</summary>
    Electra,
}

/// <summary>
/// A HuggingFace <c>config.json</c> for a BERT-family encoder. Known fields are typed; every field
/// of the original file, known or not, is kept so that saving writes back what was read (plus
/// any changes made through the typed properties).
/// </summary>
public sealed class EncoderConfig
{
    private readonly JsonObject _raw;

    /// <summary>The architecture (the family's type).</summary>
    public ModelType ModelType => Family.Type;

    /// <summary>The architecture family (its defaults, modules and heads).</summary>
    public EncoderFamily Family { get; }
    /// <summary>Rows of the word embedding table.</summary>
    public int VocabSize { get; }
    /// <summary>Width of the hidden states.</summary>
    public int HiddenSize { get; }
    /// <summary>Embedding width: ALBERT/ELECTRA's <c>embedding_size</c>; equals HiddenSize for BERT/RoBERTa.</summary>
    public int EmbeddingSize { get; }
    /// <summary>Transformer layers.</summary>
    public int NumHiddenLayers { get; }
    /// <summary>Attention heads per layer (divides <see cref="HiddenSize"/>).</summary>
    public int NumAttentionHeads { get; }
    /// <summary>Width of each layer's feed-forward block.</summary>
    public int IntermediateSize { get; }
    /// <summary>Feed-forward activation (HF's name: gelu, gelu_new, relu, …).</summary>
    public string HiddenAct { get; }
    /// <summary>Dropout on embeddings and layer outputs.</summary>
    public double HiddenDropoutProb { get; }
    /// <summary>Dropout on attention probabilities.</summary>
    public double AttentionProbsDropoutProb { get; }
    /// <summary>Rows of the position embedding table.</summary>
    public int MaxPositionEmbeddings { get; }
    /// <summary>Rows of the segment (token type) embedding table.</summary>
    public int TypeVocabSize { get; }
    /// <summary>ε of every LayerNorm.</summary>
    public double LayerNormEps { get; }
    /// <summary>The padding token id.</summary>
    public int PadTokenId { get; }
    /// <summary>Standard deviation of the normal initialization of fresh weights.</summary>
    public double InitializerRange { get; }
    /// <summary>ALBERT: number of distinct layer groups shared across the depth.</summary>
    public int NumHiddenGroups { get; }
    /// <summary>ALBERT: layers inside each group.</summary>
    public int InnerGroupNum { get; }
    /// <summary>Dropout before classification heads (HF: classifier_dropout, ALBERT classifier_dropout_prob), defaulting to HiddenDropoutProb.</summary>
    public double ClassifierDropout { get; }
    /// <summary>Whether the MLM decoder shares the word embedding matrix.</summary>
    public bool TieWordEmbeddings { get; }
    /// <summary>HF problem_type for sequence classification (null: inferred from labels).</summary>
    public string? ProblemType { get; }
    /// <summary>HF class names the checkpoint was saved from (config.json's <c>architectures</c>).</summary>
    public IReadOnlyList<string> Architectures { get; }
    /// <summary>Label names by id; NumLabels is their count.</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Number of labels.</summary>
    public int NumLabels => Labels.Count;

    /// <summary>Where the config was read from (for error messages), or null for a config built in code.</summary>
    public string? SourcePath { get; }

    private EncoderConfig(JsonObject raw, string? sourcePath)
    {
        _raw = raw;
        SourcePath = sourcePath;
        var where = sourcePath ?? "config";
        var typeName = GetString(raw, "model_type", where)
            ?? throw new ConfigException($"{where}: required field 'model_type' is missing (expected one of bert, roberta, albert, electra).");
        Family = EncoderFamily.Named(typeName)
            ?? throw new ConfigException($"{where}: model_type '{typeName}' is not supported (expected one of {string.Join(", ", EncoderFamily.All)}).");
        var d = Family;

        VocabSize = RequiredInt(raw, "vocab_size", where);
        HiddenSize = RequiredInt(raw, "hidden_size", where);
        NumHiddenLayers = RequiredInt(raw, "num_hidden_layers", where);
        NumAttentionHeads = RequiredInt(raw, "num_attention_heads", where);
        IntermediateSize = RequiredInt(raw, "intermediate_size", where);
        EmbeddingSize = d.HasEmbeddingSize ? GetInt(raw, "embedding_size", where) ?? 128 : HiddenSize;
        HiddenAct = GetString(raw, "hidden_act", where) ?? d.DefaultHiddenAct;
        HiddenDropoutProb = GetDouble(raw, "hidden_dropout_prob", where) ?? d.DefaultDropout;
        AttentionProbsDropoutProb = GetDouble(raw, "attention_probs_dropout_prob", where) ?? d.DefaultDropout;
        MaxPositionEmbeddings = GetInt(raw, "max_position_embeddings", where) ?? 512;
        TypeVocabSize = GetInt(raw, "type_vocab_size", where) ?? 2;
        LayerNormEps = GetDouble(raw, "layer_norm_eps", where) ?? 1e-12;
        PadTokenId = GetInt(raw, "pad_token_id", where) ?? d.DefaultPadTokenId;
        InitializerRange = GetDouble(raw, "initializer_range", where) ?? 0.02;
        NumHiddenGroups = GetInt(raw, "num_hidden_groups", where) ?? 1;
        InnerGroupNum = GetInt(raw, "inner_group_num", where) ?? 1;
        ClassifierDropout = GetDouble(raw, d.ClassifierDropoutKey, where) ?? d.DefaultClassifierDropout ?? HiddenDropoutProb;
        TieWordEmbeddings = GetBool(raw, "tie_word_embeddings", where) ?? true;
        ProblemType = GetString(raw, "problem_type", where);
        Architectures = raw["architectures"] is JsonArray arr
            ? arr.Select(n => n?.GetValue<string>() ?? "").ToArray()
            : Array.Empty<string>();
        Labels = ReadLabels(raw, where);

        var position = GetString(raw, "position_embedding_type", where) ?? "absolute";
        if (position != "absolute")
            throw new ConfigException($"{where}: position_embedding_type '{position}' is not supported (only 'absolute').");
        Validate(where);
    }

    /// <summary>Reads and validates <paramref name="path"/> (a config.json).</summary>
    public static EncoderConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException($"{path}: config file not found (a HuggingFace model folder needs config.json).");
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new ConfigException($"{path}: not valid JSON ({e.Message}).", e); }
        if (node is not JsonObject obj) throw new ConfigException($"{path}: expected a JSON object at the top level.");
        return new EncoderConfig(obj, path);
    }

    /// <summary>Parses a config from JSON text (for configs built in code or tests).</summary>
    public static EncoderConfig Parse(string json, string? sourceName = null)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw new ConfigException($"{sourceName ?? "config"}: not valid JSON ({e.Message}).", e); }
        if (node is not JsonObject obj) throw new ConfigException($"{sourceName ?? "config"}: expected a JSON object at the top level.");
        return new EncoderConfig(obj, sourceName);
    }

    /// <summary>Builds a config in code: the given fields over the architecture's HF defaults.</summary>
    public static EncoderConfig Create(ModelType type, int vocabSize, int hiddenSize, int numLayers, int numHeads,
        int intermediateSize, int? embeddingSize = null, int maxPositions = 512, Action<JsonObject>? extra = null)
    {
        var obj = new JsonObject
        {
            ["model_type"] = EncoderFamily.For(type).ModelTypeName,
            ["vocab_size"] = vocabSize,
            ["hidden_size"] = hiddenSize,
            ["num_hidden_layers"] = numLayers,
            ["num_attention_heads"] = numHeads,
            ["intermediate_size"] = intermediateSize,
            ["max_position_embeddings"] = maxPositions,
        };
        if (embeddingSize is int e) obj["embedding_size"] = e;
        EncoderFamily.For(type).AddCodeConfigDefaults(obj);
        extra?.Invoke(obj);
        return new EncoderConfig(obj, null);
    }

    /// <summary>A copy with a new label set (id2label/label2id), as when adding a classification head.</summary>
    public EncoderConfig WithLabels(IReadOnlyList<string> labels)
    {
        var copy = (JsonObject)ToJson();
        WriteLabels(copy, labels);
        return new EncoderConfig(copy, SourcePath);
    }

    /// <summary>A copy with another vocabulary size (after the embeddings were resized).</summary>
    public EncoderConfig WithVocabSize(int vocabSize)
    {
        var copy = (JsonObject)ToJson();
        copy["vocab_size"] = vocabSize;
        return new EncoderConfig(copy, SourcePath);
    }

    /// <summary>A copy with the architectures field set (what save_pretrained writes for the head class).</summary>
    public EncoderConfig WithArchitecture(string architecture)
    {
        var copy = (JsonObject)ToJson();
        copy["architectures"] = new JsonArray(architecture);
        return new EncoderConfig(copy, SourcePath);
    }

    /// <summary>The full JSON: every field read, with the typed values that may change written over them.</summary>
    public JsonNode ToJson()
    {
        var copy = (JsonObject)_raw.DeepClone();
        copy["vocab_size"] = VocabSize;
        if (ProblemType is not null) copy["problem_type"] = ProblemType;
        copy["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        WriteLabels(copy, Labels);
        return copy;
    }

    /// <summary>Writes config.json atomically (temp file, then rename).</summary>
    public void Save(string path)
    {
        var text = ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        AtomicFile.WriteAllText(path, text);
    }

    private void Validate(string where)
    {
        void Positive(int value, string name)
        {
            if (value <= 0) throw new ConfigException($"{where}: '{name}' must be a positive integer, found {value}.");
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(IntermediateSize, "intermediate_size");
        Positive(EmbeddingSize, "embedding_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        Positive(TypeVocabSize, "type_vocab_size");
        Positive(NumHiddenGroups, "num_hidden_groups");
        Positive(InnerGroupNum, "inner_group_num");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ConfigException($"{where}: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
        if (NumHiddenLayers % NumHiddenGroups != 0)
            throw new ConfigException($"{where}: num_hidden_layers {NumHiddenLayers} is not a multiple of num_hidden_groups {NumHiddenGroups}.");
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
            throw new ConfigException($"{where}: pad_token_id {PadTokenId} is outside the vocabulary (vocab_size {VocabSize}).");
        foreach (var (p, name) in new[] { (HiddenDropoutProb, "hidden_dropout_prob"), (AttentionProbsDropoutProb, "attention_probs_dropout_prob"), (ClassifierDropout, "classifier_dropout") })
            if (p < 0 || p >= 1) throw new ConfigException($"{where}: '{name}' must be in [0, 1), found {p}.");
        _ = Activations.Get(HiddenAct, where);
    }

    private static IReadOnlyList<string> ReadLabels(JsonObject raw, string where)
    {
        if (raw["id2label"] is JsonObject id2label && id2label.Count > 0)
        {
            var labels = new string[id2label.Count];
            foreach (var (key, value) in id2label)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 0 || id >= labels.Length)
                    throw new ConfigException($"{where}: id2label key '{key}' is not an id in 0..{labels.Length - 1}.");
                labels[id] = value?.GetValue<string>() ?? throw new ConfigException($"{where}: id2label[{key}] is null.");
            }
            return labels;
        }
        var n = GetInt(raw, "num_labels", where) ?? 2;
        return Enumerable.Range(0, n).Select(i => $"LABEL_{i}").ToArray();
    }

    private static void WriteLabels(JsonObject obj, IReadOnlyList<string> labels)
    {
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (var i = 0; i < labels.Count; i++)
        {
            id2label[i.ToString(CultureInfo.InvariantCulture)] = labels[i];
            label2id[labels[i]] = i;
        }
        obj["id2label"] = id2label;
        obj["label2id"] = label2id;
        obj.Remove("num_labels");
    }

    private static int RequiredInt(JsonObject raw, string key, string where) =>
        GetInt(raw, key, where) ?? throw new ConfigException($"{where}: required field '{key}' is missing (expected an integer).");

    private static int? GetInt(JsonObject raw, string key, string where)
    {
        if (!raw.TryGetPropertyValue(key, out var node) || node is null) return null;
        if (AsNumber(node) is double d && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue) return (int)d;
        throw new ConfigException($"{where}: field '{key}' must be an integer, found {node.ToJsonString()}.");
    }

    private static double? GetDouble(JsonObject raw, string key, string where)
    {
        if (!raw.TryGetPropertyValue(key, out var node) || node is null) return null;
        if (AsNumber(node) is double d) return d;
        throw new ConfigException($"{where}: field '{key}' must be a number, found {node.ToJsonString()}.");
    }

    // A JsonValue may hold a parsed JsonElement or a CLR int/double set in code; read both alike.
    private static double? AsNumber(JsonNode node) =>
        node.GetValueKind() == JsonValueKind.Number
            ? double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    private static bool? GetBool(JsonObject raw, string key, string where)
    {
        if (!raw.TryGetPropertyValue(key, out var node) || node is null) return null;
        if (node is JsonValue v && v.TryGetValue<bool>(out var b)) return b;
        throw new ConfigException($"{where}: field '{key}' must be true or false, found {node.ToJsonString()}.");
    }

    private static string? GetString(JsonObject raw, string key, string where)
    {
        if (!raw.TryGetPropertyValue(key, out var node) || node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        throw new ConfigException($"{where}: field '{key}' must be a string, found {node.ToJsonString()}.");
    }
}
