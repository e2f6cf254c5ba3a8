using Acclimate.Checkpoints.Onnx;
using static TorchSharp.torch;

namespace Acclimate.Tests.Encoders;

/// <summary>How <see cref="TinyBertOnnx"/> writes a graph: the two torch.onnx export styles and the LayerNorm forms.</summary>
internal sealed record OnnxExportStyle(bool Scoped, bool FusedLayerNorm, bool TanhGelu = false, bool Pooler = true)
{
    public override string ToString() => $"{(Scoped ? "scoped" : "unscoped")}, {(FusedLayerNorm ? "fused" : "decomposed")} LayerNorm{(TanhGelu ? ", tanh GELU" : "")}{(Pooler ? "" : ", no pooler")}";
}

/// <summary>
/// Writes a BERT state dict as an ONNX graph shaped like torch.onnx's export of HF's BertModel:
/// Linear = Add(bias, MatMul(x, Wᵀ)) with Wᵀ an anonymous initializer, attention reshaped through a
/// Concat of constants, LayerNorm decomposed or fused, GELU via Erf (or the tanh form), pooler Gemm.
/// </summary>
internal static class TinyBertOnnx
{
    public static byte[] Export(IReadOnlyDictionary<string, Tensor> state, int layers, int heads, double eps, OnnxExportStyle style,
        Func<string, bool>? keep = null, Action<OnnxGraphWriter>? extra = null)
    {
        keep ??= _ => true;
        var w = new OnnxGraphWriter();
        string Op(string op, string node, params string[] inputs) => w.Op(op, node, inputs);
        var anonymous = 900;
        string NodeName(string scope, string op) => style.Scoped ? $"/{scope.Replace('.', '/').Replace("/layer/", "/layer.")}/{op}" : $"{op}_{anonymous++}";
        string AnonymousName(string op) => style.Scoped ? $"onnx::{op}_{anonymous++}" : $"{anonymous++}";
        float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();
        void Named(string key)
        {
            if (keep(key)) w.FloatInitializer(key, state[key].shape, Values(state[key]));
        }

        foreach (var i in new[] { "input_ids", "attention_mask", "token_type_ids" }) w.Input(i, OnnxGraphWriter.Int64, "batch", "sequence");
        foreach (var key in new[] { "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight" })
            Named(key);
        var words = Op("Gather", NodeName("embeddings.word_embeddings", "Gather"), "embeddings.word_embeddings.weight", "input_ids");
        var types = Op("Gather", NodeName("embeddings.token_type_embeddings", "Gather"), "embeddings.token_type_embeddings.weight", "token_type_ids");
        var sum = Op("Add", NodeName("embeddings", "Add"), words, types);
        var positions = Op("Gather", NodeName("embeddings.position_embeddings", "Gather"), "embeddings.position_embeddings.weight", "position_ids");
        var x = LayerNorm(Op("Add", NodeName("embeddings", "Add_1"), sum, positions), "embeddings.LayerNorm");

        string Linear(string input, string module)
        {
            var weight = state[module + ".weight"];
            var name = AnonymousName("MatMul");
            if (keep(module + ".weight")) w.FloatInitializer(name, new[] { weight.shape[1], weight.shape[0] }, Values(weight.t()));
            Named(module + ".bias");
            var product = Op("MatMul", NodeName(module, "MatMul"), input, name);
            return Op("Add", NodeName(module, "Add"), module + ".bias", product);
        }

        string LayerNorm(string input, string module)
        {
            if (style.FusedLayerNorm)
            {
                // Fused exports keep the scale/bias anonymous when node names carry the scope.
                var (scale, bias) = style.Scoped ? (AnonymousName("LayerNormalization"), AnonymousName("LayerNormalization")) : (module + ".weight", module + ".bias");
                if (keep(module + ".weight")) w.FloatInitializer(scale, state[module + ".weight"].shape, Values(state[module + ".weight"]));
                if (keep(module + ".bias")) w.FloatInitializer(bias, state[module + ".bias"].shape, Values(state[module + ".bias"]));
                var output = w.Fresh("ln");
                w.Node("LayerNormalization", NodeName(module, "LayerNormalization"), new[] { input, scale, bias }, new[] { output },
                    OnnxGraphWriter.Int("axis", -1), OnnxGraphWriter.FloatAttr("epsilon", (float)eps));
                return output;
            }
            Named(module + ".weight");
            Named(module + ".bias");
            var mean = Op("ReduceMean", NodeName(module, "ReduceMean"), input);
            var centered = Op("Sub", NodeName(module, "Sub"), input, mean);
            var squared = Op("Pow", NodeName(module, "Pow"), centered, w.FloatConstant(2f));
            var variance = Op("ReduceMean", NodeName(module, "ReduceMean_1"), squared);
            var shifted = Op("Add", NodeName(module, "Add"), variance, w.FloatConstant((float)eps));
            var std = Op("Sqrt", NodeName(module, "Sqrt"), shifted);
            var normed = Op("Div", NodeName(module, "Div"), centered, std);
            var scaled = Op("Mul", NodeName(module, "Mul"), normed, module + ".weight");
            return Op("Add", NodeName(module, "Add_1"), scaled, module + ".bias");
        }

        var hidden = state["embeddings.word_embeddings.weight"].shape[1];
        for (var layer = 0; layer < layers; layer++)
        {
            var p = $"encoder.layer.{layer}.";
            var q = Linear(x, p + "attention.self.query");
            var k = Linear(x, p + "attention.self.key");
            var v = Linear(x, p + "attention.self.value");
            string Heads(string t, string module)
            {
                var shape = Op("Concat", NodeName(module, "Concat"), w.Int64Constant(0), w.Int64Constant(0), w.Int64Constant(heads), w.Int64Constant(hidden / heads));
                return Op("Reshape", NodeName(module, "Reshape"), t, shape);
            }
            var scores = Op("MatMul", NodeName(p + "attention.self", "MatMul"), Heads(q, p + "attention.self"), Heads(k, p + "attention.self"));
            var scaledScores = Op("Div", NodeName(p + "attention.self", "Div"), scores, w.FloatConstant((float)Math.Sqrt(hidden / heads)));
            var probs = Op("Softmax", NodeName(p + "attention.self", "Softmax"), Op("Add", NodeName(p + "attention.self", "Add"), scaledScores, "mask"));
            var context = Op("MatMul", NodeName(p + "attention.self", "MatMul_1"), probs, Heads(v, p + "attention.self"));
            var attended = Linear(context, p + "attention.output.dense");
            var a = LayerNorm(Op("Add", NodeName(p + "attention.output", "Add"), attended, x), p + "attention.output.LayerNorm");
            var h = Linear(a, p + "intermediate.dense");
            string act;
            if (style.TanhGelu)
            {
                var cube = Op("Pow", NodeName(p + "intermediate", "Pow"), h, w.FloatConstant(3f));
                var inner = Op("Add", NodeName(p + "intermediate", "Add"), h, Op("Mul", NodeName(p + "intermediate", "Mul"), cube, w.FloatConstant(0.044715f)));
                var tanh = Op("Tanh", NodeName(p + "intermediate", "Tanh"), Op("Mul", NodeName(p + "intermediate", "Mul_1"), inner, w.FloatConstant(0.7978846f)));
                act = Op("Mul", NodeName(p + "intermediate", "Mul_2"), h, Op("Add", NodeName(p + "intermediate", "Add_1"), tanh, w.FloatConstant(1f)));
            }
            else
            {
                var erf = Op("Erf", NodeName(p + "intermediate", "Erf"), Op("Div", NodeName(p + "intermediate", "Div"), h, w.FloatConstant(1.4142135f)));
                act = Op("Mul", NodeName(p + "intermediate", "Mul_1"), Op("Mul", NodeName(p + "intermediate", "Mul"), h, Op("Add", NodeName(p + "intermediate", "Add"), erf, w.FloatConstant(1f))), w.FloatConstant(0.5f));
            }
            var o = Linear(act, p + "output.dense");
            x = LayerNorm(Op("Add", NodeName(p + "output", "Add"), o, a), p + "output.LayerNorm");
        }
        w.Output(x, OnnxGraphWriter.Float, "batch", "sequence", hidden);
        if (style.Pooler)
        {
            Named("pooler.dense.weight");
            Named("pooler.dense.bias");
            var first = Op("Gather", NodeName("pooler", "Gather"), x, w.Int64Constant(0));
            var dense = w.Fresh("pooled");
            w.Node("Gemm", NodeName("pooler.dense", "Gemm"), new[] { first, "pooler.dense.weight", "pooler.dense.bias" }, new[] { dense }, OnnxGraphWriter.Int("transB", 1));
            w.Output(Op("Tanh", NodeName("pooler.activation", "Tanh"), dense), OnnxGraphWriter.Float, "batch", hidden);
        }
        extra?.Invoke(w);
        return Bytes(w);
    }

    /// <summary>The serialized model (opset 13, as the torch.onnx exports the importer reads).</summary>
    public static byte[] Bytes(OnnxGraphWriter w)
    {
        using var stream = new MemoryStream();
        w.WriteTo(stream, 13, "test", "test-graph", "");
        return stream.ToArray();
    }
}
