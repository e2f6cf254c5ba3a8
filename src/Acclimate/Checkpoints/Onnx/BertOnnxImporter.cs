using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Acclimate.Errors;

namespace Acclimate.Checkpoints.Onnx;

/// <summary>A weight recovered from an ONNX graph, under its HF name, row-major float32.</summary>
internal sealed record ImportedTensor(long[] Shape, float[] Values);

/// <summary>What <see cref="BertOnnxImporter.Import"/> recovered: a BertModel config.json, its weights, and how each setting was found.</summary>
internal sealed record OnnxImport(JsonObject Config, IReadOnlyDictionary<string, ImportedTensor> Weights, IReadOnlyList<string> Notes)
{
    public int VocabSize => (int)Weights[BertOnnxImporter.WordEmbeddings].Shape[0];
}

/// <summary>
/// Recovers a HuggingFace BertModel (config and weights) from a BERT-family ONNX export, as written
/// by torch.onnx from HF's modeling code: old exports with unscoped node names and new ones with
/// scoped names ("/encoder/layer.0/attention/self/query/MatMul"); Linear weights stored as named
/// initializers or as anonymous traced ones ("927", "onnx::MatMul_788"); LayerNorm fused
/// (LayerNormalization) or decomposed (ReduceMean, Sub, Pow, Sqrt, Div). Everything is inferred
/// from the graph; a float tensor it cannot place is an error listing it, never a silently half-loaded model.
/// </summary>
/// <remarks>
/// A Linear layer exports as <c>Add(bias, MatMul(x, W))</c> with W stored [in, out] (HF's weight is
/// [out, in], so it is transposed back), or as <c>Gemm(x, W, bias)</c> honouring transB. The bias
/// keeps its HF name in both export styles, so following the graph from the bias names the weight.
/// </remarks>
internal static class BertOnnxImporter
{
    public const string WordEmbeddings = "embeddings.word_embeddings.weight";
    private const string PositionEmbeddings = "embeddings.position_embeddings.weight";
    private const string TokenTypeEmbeddings = "embeddings.token_type_embeddings.weight";
    private static readonly Regex LayerKey = new(@"^encoder\.layer\.(\d+)\.", RegexOptions.CultureInvariant);
    private static readonly string[] BackbonePrefixes = { "bert.", "model.", "encoder_model." };

    /// <summary>Imports <paramref name="model"/>; <paramref name="source"/> names the file in errors.</summary>
    /// <param name="numHeads">The attention head count, when the graph does not show it.</param>
    public static OnnxImport Import(OnnxModel model, string source, int? numHeads = null)
    {
        // A dynamically quantized graph (`model export --quantize int8`, or onnxruntime's quantize_dynamic) stores its
        // Linear weights as int8 with per-channel scales: the float32 checkpoint cannot be restored from it exactly.
        var quantized = model.Graph.Nodes.Count(n => n.OpType is "MatMulInteger" or "DynamicQuantizeLinear" or "DynamicQuantizeMatMul" or "QLinearMatMul");
        if (quantized > 0)
            throw new CheckpointException($"{source}: an int8-quantized graph ({quantized} MatMulInteger/DynamicQuantizeLinear nodes, as `acclimate model export --quantize int8` writes): " +
                                          "int8 graphs are for serving only (run them with ONNX Runtime, e.g. `acclimate serve --backend onnx-int8`) and do not import back to a float32 model; import the float32 export instead.");
        var index = new OnnxGraphIndex(model.Graph);
        var notes = new List<string>();
        var weights = new Dictionary<string, ImportedTensor>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);

        // 1. Initializers that carry an HF parameter name (embeddings, LayerNorms, biases, named weights).
        foreach (var (name, tensor) in index.Initializers)
        {
            if (!tensor.IsFloatingPoint || HfName(name) is not { } key) continue;
            weights[key] = new ImportedTensor(tensor.Dims.ToArray(), tensor.ToFloats());
            used.Add(name);
        }
        if (!weights.ContainsKey(WordEmbeddings))
            throw new CheckpointException($"{source}: not a BERT-family graph: no initializer named like '{WordEmbeddings}' " +
                                          $"(float initializers found: {Describe(index.Initializers.Values.Where(t => t.IsFloatingPoint).Select(t => t.Name))}).");

        // 2. Linear weights found from their biases (MatMul + Add, or Gemm).
        foreach (var biasKey in weights.Keys.Where(k => k.EndsWith(".bias", StringComparison.Ordinal) && !k.Contains("LayerNorm", StringComparison.Ordinal)).ToList())
        {
            var weightKey = biasKey[..^".bias".Length] + ".weight";
            if (weights.ContainsKey(weightKey)) continue;
            var biasName = index.Initializers.Keys.First(n => HfName(n) == biasKey);
            if (FindLinearWeight(index, biasName) is not { } found)
                throw new CheckpointException($"{source}: found bias '{biasName}' but no MatMul or Gemm weight feeding the same Add; this graph's Linear layers are not in a form the importer knows.");
            weights[weightKey] = found.Weight;
            used.Add(found.InitializerName);
        }

        // 3. Anonymous weights whose consumer has a scoped name, e.g. a LayerNormalization under "/encoder/layer.0/output/LayerNorm/".
        foreach (var (name, tensor) in index.Initializers)
        {
            if (used.Contains(name) || !tensor.IsFloatingPoint || tensor.ElementCount <= 1) continue;
            foreach (var consumer in index.Consumers(name))
            {
                if (ScopeOf(consumer.Name) is not { } scope) continue;
                var slot = consumer.OpType switch
                {
                    "LayerNormalization" when consumer.Inputs.Count > 1 && consumer.Inputs[1] == name => "weight",
                    "LayerNormalization" when consumer.Inputs.Count > 2 && consumer.Inputs[2] == name => "bias",
                    _ => null,
                };
                if (slot is null || weights.ContainsKey($"{scope}.{slot}")) continue;
                weights[$"{scope}.{slot}"] = new ImportedTensor(tensor.Dims.ToArray(), tensor.ToFloats());
                used.Add(name);
                break;
            }
        }

        // 4. The config, from shapes and the graph's structure.
        var hidden = (int)weights[WordEmbeddings].Shape[1];
        var layers = weights.Keys.Select(k => LayerKey.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().OrderBy(i => i).ToList();
        if (layers.Count == 0) throw new CheckpointException($"{source}: no 'encoder.layer.N.' parameters: not a BERT encoder graph.");
        if (layers[^1] != layers.Count - 1) throw new CheckpointException($"{source}: encoder layers [{string.Join(", ", layers)}] are not numbered 0..{layers.Count - 1}.");
        RequireShape(weights, source, "encoder.layer.0.attention.self.query.weight", hidden, hidden);
        var intermediate = (int)Require(weights, source, "encoder.layer.0.intermediate.dense.bias").Shape[0];
        CheckLayers(weights, source, layers.Count, hidden, intermediate);
        var unmapped = index.Initializers.Values
            .Where(t => t.IsFloatingPoint && t.ElementCount > 1 && !used.Contains(t.Name))
            .Select(t => $"{t.Name} [{string.Join(", ", t.Dims)}]").ToList();
        if (unmapped.Count > 0)
            throw new CheckpointException($"{source}: {unmapped.Count} weight tensor(s) could not be mapped to BERT parameters: {Describe(unmapped)}. Nothing was written.");

        var heads = numHeads ?? InferHeads(index, hidden, notes) ??
            throw new CheckpointException($"{source}: the number of attention heads is not visible in the graph; give it (--num-heads).");
        if (heads <= 0 || hidden % heads != 0) throw new CheckpointException($"{source}: {heads} attention heads do not divide hidden size {hidden}.");
        if (numHeads is not null) notes.Add($"attention heads: {heads} (given)");
        var eps = InferLayerNormEps(index, notes);
        var act = InferActivation(index, weights, notes);
        var hasPooler = weights.ContainsKey("pooler.dense.weight");
        notes.Add(hasPooler ? "pooler: present (Gemm)" : "pooler: none in the graph");

        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("BertModel"),
            ["model_type"] = "bert",
            ["vocab_size"] = (int)weights[WordEmbeddings].Shape[0],
            ["hidden_size"] = hidden,
            ["num_hidden_layers"] = layers.Count,
            ["num_attention_heads"] = heads,
            ["intermediate_size"] = intermediate,
            ["hidden_act"] = act,
            ["hidden_dropout_prob"] = 0.1,
            ["attention_probs_dropout_prob"] = 0.1,
            ["max_position_embeddings"] = (int)Require(weights, source, PositionEmbeddings).Shape[0],
            ["type_vocab_size"] = (int)Require(weights, source, TokenTypeEmbeddings).Shape[0],
            ["layer_norm_eps"] = eps,
            ["initializer_range"] = 0.02,
            ["pad_token_id"] = 0,
            ["position_embedding_type"] = "absolute",
        };
        return new OnnxImport(config, weights, notes);
    }

    /// <summary>An initializer name as an HF BertModel key, or null when it is not one (e.g. "927", "onnx::MatMul_788").</summary>
    private static string? HfName(string name)
    {
        foreach (var prefix in BackbonePrefixes)
            if (name.StartsWith(prefix, StringComparison.Ordinal)) { name = name[prefix.Length..]; break; }
        var known = name.StartsWith("embeddings.", StringComparison.Ordinal) || name.StartsWith("encoder.layer.", StringComparison.Ordinal) || name.StartsWith("pooler.", StringComparison.Ordinal);
        return known && (name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal)) ? name : null;
    }

    /// <summary>"/encoder/layer.0/output/LayerNorm/LayerNormalization" → "encoder.layer.0.output.LayerNorm".</summary>
    private static string? ScopeOf(string nodeName)
    {
        if (!nodeName.StartsWith('/')) return null;
        var parts = nodeName.Trim('/').Split('/');
        if (parts.Length < 2) return null;
        var scope = string.Join('.', parts[..^1]);
        if (scope.StartsWith("bert.", StringComparison.Ordinal)) scope = scope["bert.".Length..];
        return HfName(scope + ".weight") is null ? null : scope;
    }

    private static (ImportedTensor Weight, string InitializerName)? FindLinearWeight(OnnxGraphIndex index, string biasName)
    {
        foreach (var consumer in index.Consumers(biasName))
        {
            if (consumer.OpType == "Gemm" && consumer.Inputs.Count == 3 && consumer.Inputs[2] == biasName && index.Constant(consumer.Inputs[1]) is { } gemmWeight)
            {
                var transB = consumer.IntAttribute("transB") == 1;
                var w = new ImportedTensor(gemmWeight.Dims.ToArray(), gemmWeight.ToFloats());
                return (transB ? w : Transpose(w), gemmWeight.Name);
            }
            if (consumer.OpType != "Add" || consumer.Inputs.Count != 2) continue;
            var other = consumer.Inputs[0] == biasName ? consumer.Inputs[1] : consumer.Inputs[0];
            if (index.Producer(other) is not { OpType: "MatMul" } matmul) continue;
            foreach (var input in matmul.Inputs)
                if (index.Constant(input) is { IsFloatingPoint: true, Dims.Count: 2 } w)
                    return (Transpose(new ImportedTensor(w.Dims.ToArray(), w.ToFloats())), w.Name);
        }
        return null;
    }

    private static ImportedTensor Transpose(ImportedTensor t)
    {
        long rows = t.Shape[0], cols = t.Shape[1];
        var result = new float[t.Values.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                result[c * rows + r] = t.Values[r * cols + c];
        return new ImportedTensor(new[] { cols, rows }, result);
    }

    /// <summary>
    /// Heads from the attention reshape [batch, length, heads, head_dim]: its target shape is a
    /// constant or a Concat whose last two parts are constants; else from the score scale 1/√head_dim.
    /// </summary>
    private static int? InferHeads(OnnxGraphIndex index, int hidden, List<string> notes)
    {
        foreach (var reshape in index.Graph.Nodes.Where(n => n.OpType == "Reshape" && n.Inputs.Count == 2))
        {
            long[]? shape = index.Constant(reshape.Inputs[1]) is { } c && c.ElementCount == 4 ? c.ToInt64s() : null;
            if (shape is null && index.Producer(reshape.Inputs[1]) is { OpType: "Concat" } concat && concat.Inputs.Count == 4)
            {
                var h = index.ScalarConstant(concat.Inputs[2]);
                var d = index.ScalarConstant(concat.Inputs[3]);
                if (h is not null && d is not null) shape = new long[] { 0, 0, (long)h.Value, (long)d.Value };
            }
            if (shape is not null && shape[2] > 0 && shape[3] > 0 && shape[2] * shape[3] == hidden)
            {
                notes.Add($"attention heads: {shape[2]} × {shape[3]} (from reshape '{reshape.Name}')");
                return (int)shape[2];
            }
        }
        foreach (var div in index.Graph.Nodes.Where(n => n.OpType == "Div" && n.Inputs.Count == 2))
        {
            if (index.Producer(div.Inputs[0]) is not { OpType: "MatMul" } || !index.OpsDownstream(div.Outputs[0], 2).Contains("Softmax")) continue;
            if (index.ScalarConstant(div.Inputs[1]) is not { } scale || scale <= 0) continue;
            var headDim = (int)Math.Round(scale * scale);
            if (headDim > 0 && Math.Abs(Math.Sqrt(headDim) - scale) < 1e-3 && hidden % headDim == 0)
            {
                notes.Add($"attention heads: {hidden / headDim} (scores divided by √{headDim})");
                return hidden / headDim;
            }
        }
        return null;
    }

    private static double InferLayerNormEps(OnnxGraphIndex index, List<string> notes)
    {
        var fused = index.Graph.Nodes.FirstOrDefault(n => n.OpType == "LayerNormalization");
        if (fused is not null)
        {
            var eps = fused.FloatAttribute("epsilon") ?? 1e-5f;
            notes.Add($"LayerNorm: fused, epsilon {eps:G9}");
            return RoundEps(eps);
        }
        foreach (var sqrt in index.Graph.Nodes.Where(n => n.OpType == "Sqrt"))
        {
            if (index.Producer(sqrt.Inputs[0]) is not { OpType: "Add" } add) continue;
            foreach (var input in add.Inputs)
                if (index.Producer(input) is { OpType: "ReduceMean" } && add.Inputs.FirstOrDefault(i => i != input) is { } other && index.ScalarConstant(other) is { } eps)
                {
                    notes.Add($"LayerNorm: decomposed, epsilon {eps:G9}");
                    return RoundEps(eps);
                }
        }
        notes.Add("LayerNorm: epsilon not found in the graph, using BERT's 1e-12");
        return 1e-12;
    }

    // A float32 constant of 1e-12 reads back as 9.9999999600419720025e-13; config.json holds the decimal HF wrote.
    private static double RoundEps(double eps) => double.Parse(eps.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string InferActivation(OnnxGraphIndex index, Dictionary<string, ImportedTensor> weights, List<string> notes)
    {
        // The ops between the first intermediate dense layer's output and the next MatMul.
        var bias = index.Initializers.Keys.First(n => HfName(n) == "encoder.layer.0.intermediate.dense.bias");
        var add = index.Consumers(bias).FirstOrDefault(n => n.OpType is "Add" or "Gemm");
        var ops = add is null ? new HashSet<string>() : index.OpsDownstream(add.Outputs[0], 6);
        string act;
        if (ops.Contains("Gelu"))
        {
            var gelu = index.Graph.Nodes.First(n => n.OpType == "Gelu");
            act = gelu.StringAttribute("approximate") == "tanh" ? "gelu_new" : "gelu";
        }
        else if (ops.Contains("Erf")) act = "gelu";
        else if (ops.Contains("Tanh")) act = "gelu_new";
        else if (ops.Contains("Relu")) act = "relu";
        else if (ops.Contains("Sigmoid")) act = "silu";
        else throw new CheckpointException($"the intermediate activation is not one the importer knows (ops after the first intermediate layer: {string.Join(", ", ops.Order())}).");
        notes.Add($"activation: {act} (ops after intermediate.dense: {string.Join(", ", ops.Where(o => o is "Erf" or "Tanh" or "Gelu" or "Relu" or "Sigmoid"))})");
        _ = weights;
        return act;
    }

    private static ImportedTensor Require(Dictionary<string, ImportedTensor> weights, string source, string key) =>
        weights.TryGetValue(key, out var t) ? t : throw new CheckpointException($"{source}: no '{key}' in the graph; a BERT encoder needs it.");

    private static void RequireShape(Dictionary<string, ImportedTensor> weights, string source, string key, params long[] shape)
    {
        var t = Require(weights, source, key);
        if (!t.Shape.SequenceEqual(shape))
            throw new CheckpointException($"{source}: '{key}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}] " +
                                          "(BERT needs word embeddings as wide as the hidden layers).");
    }

    private static void CheckLayers(Dictionary<string, ImportedTensor> weights, string source, int layers, int hidden, int intermediate)
    {
        var expected = new List<(string Key, long[] Shape)>
        {
            ("embeddings.LayerNorm.weight", new long[] { hidden }), ("embeddings.LayerNorm.bias", new long[] { hidden }),
        };
        for (var i = 0; i < layers; i++)
        {
            var p = $"encoder.layer.{i}.";
            foreach (var m in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                expected.Add((p + m + ".weight", new long[] { hidden, hidden }));
                expected.Add((p + m + ".bias", new long[] { hidden }));
            }
            expected.Add((p + "intermediate.dense.weight", new long[] { intermediate, hidden }));
            expected.Add((p + "intermediate.dense.bias", new long[] { intermediate }));
            expected.Add((p + "output.dense.weight", new long[] { hidden, intermediate }));
            expected.Add((p + "output.dense.bias", new long[] { hidden }));
            foreach (var ln in new[] { "attention.output.LayerNorm", "output.LayerNorm" })
            {
                expected.Add((p + ln + ".weight", new long[] { hidden }));
                expected.Add((p + ln + ".bias", new long[] { hidden }));
            }
        }
        var missing = expected.Where(e => !weights.ContainsKey(e.Key)).Select(e => e.Key).ToList();
        if (missing.Count > 0)
            throw new CheckpointException($"{source}: the graph lacks {missing.Count} BERT parameter(s): {Describe(missing)}.");
        var wrong = expected.Where(e => !weights[e.Key].Shape.SequenceEqual(e.Shape))
            .Select(e => $"{e.Key} [{string.Join(", ", weights[e.Key].Shape)}], expected [{string.Join(", ", e.Shape)}]").ToList();
        if (wrong.Count > 0)
            throw new CheckpointException($"{source}: {wrong.Count} parameter(s) have the wrong shape: {Describe(wrong)}.");
    }

    private static string Describe(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count <= 8 ? string.Join(", ", list) : string.Join(", ", list.Take(8)) + $", … ({list.Count - 8} more)";
    }
}
