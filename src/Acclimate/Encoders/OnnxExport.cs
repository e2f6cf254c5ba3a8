using System.Reflection;
using Acclimate.Checkpoints;
using Acclimate.Checkpoints.Onnx;
using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.IO;
using Acclimate.Models;
using static TorchSharp.torch;

namespace Acclimate.Encoders;

/// <summary>What an ONNX export computes.</summary>
public enum OnnxExportKind
{
    /// <summary>The encoder: <c>last_hidden_state</c> [batch, sequence, hidden] and, where the checkpoint has pooler weights, <c>pooler_output</c> [batch, hidden].</summary>
    Encoder,
    /// <summary>A saved <see cref="SequenceLabeler"/> (linear head, last-layer features): <c>emissions</c> [batch, sequence, labels]; a CRF's scores and constraints go to "&lt;out&gt;.crf.json" for <see cref="CrfViterbiDecoder"/>.</summary>
    Tagger,
    /// <summary>A sequence classifier: <c>logits</c> [batch, labels], from the pooler (HF's *ForSequenceClassification) or from the mean of the real tokens (a fine-tuned mean-pooled classifier, pooling.json).</summary>
    Classifier,
    /// <summary>The sentence embedder: <c>sentence_embedding</c> [batch, hidden], pooled as <see cref="SentenceEmbedder"/> pools and L2-normalised.</summary>
    Embedder,
}

/// <summary>How an ONNX export stores the encoder's Linear weights.</summary>
public enum OnnxQuantization
{
    /// <summary>Every weight float32: the graph computes what the library computes (within float rounding).</summary>
    None,
    /// <summary>
    /// Dynamic int8: the weights of every encoder Linear layer (query, key, value, attention output,
    /// intermediate, output; 6 per layer) are stored as int8, symmetric per output channel (zero point
    /// 0, scale = max |w| / 127 per output column); at run time each Linear's input is quantized to
    /// uint8 with <c>DynamicQuantizeLinear</c>, multiplied with <c>MatMulInteger</c>, cast to float and
    /// rescaled by input scale × channel scale, then the float bias is added. Embeddings, LayerNorm,
    /// the attention score and context products, softmax, the pooler and the task heads stay float32.
    /// Standard ai.onnx ops only (no contrib ops), so plain ONNX Runtime on CPU runs it.
    /// </summary>
    Int8,
}

/// <summary>Settings of <see cref="OnnxExport.Export"/>.</summary>
/// <param name="ModelFolder">The HF model folder to export.</param>
/// <param name="OutputPath">The .onnx file to write (atomically: a temp file renamed into place).</param>
/// <param name="Kind">What to export; null = detected from the folder (a saved sequence labeler exports its emissions, a sequence classifier its logits, anything else its encoder).</param>
/// <param name="Quantization">How the encoder's Linear weights are stored (default float32).</param>
public sealed record OnnxExportRequest(string ModelFolder, string OutputPath, OnnxExportKind? Kind = null, OnnxQuantization Quantization = OnnxQuantization.None);

/// <summary>What <see cref="OnnxExport.Export"/> wrote.</summary>
/// <param name="Kind">The kind exported.</param>
/// <param name="Opset">The ai.onnx opset of the graph.</param>
/// <param name="Inputs">The graph's input names.</param>
/// <param name="Outputs">The graph's output names.</param>
/// <param name="CrfPath">The CRF's JSON written beside the graph (taggers with a CRF), or null.</param>
/// <param name="QuantizedLinears">How many Linear layers were stored as int8 (0 without quantization).</param>
public sealed record OnnxExportResult(OnnxExportKind Kind, int Opset, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, string? CrfPath = null, int QuantizedLinears = 0);

/// <summary>
/// Writes a BERT model folder as a self-contained ONNX graph (opset <see cref="Opset"/>, every weight
/// an initializer) with inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> (int64,
/// [batch, sequence], both axes dynamic). The graph computes what the library's forward pass computes
/// in evaluation mode: embeddings (word + token type + position) and LayerNorm, per layer self-attention
/// with the additive padding mask ((1 − mask) × float.MinValue), erf GELU, residual LayerNorms, and
/// the tanh pooler on the first token. Linear weights are stored transposed for MatMul under
/// "&lt;hf name&gt;.T" and biases under their HF names, so <see cref="OnnxEncoderImport"/> reads the file back.
/// Only BERT (model_type "bert", hidden_act "gelu") is exported; other architectures are refused.
/// With <see cref="OnnxQuantization.Int8"/> the encoder's Linear layers are dynamic int8 (see there); such a
/// graph is for inference: <see cref="OnnxEncoderImport"/> refuses it with an error saying so.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ai.onnx opset written (17: the first with LayerNormalization).</summary>
    public const int Opset = 17;

    /// <summary>Exports <paramref name="request"/>'s folder and returns what was written.</summary>
    public static OnnxExportResult Export(OnnxExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Directory.Exists(request.ModelFolder)) throw new CheckpointException($"{request.ModelFolder}: model folder not found.");
        var config = EncoderConfig.Load(Path.Combine(request.ModelFolder, "config.json"));
        var isLabeler = File.Exists(Path.Combine(request.ModelFolder, SequenceLabeler.HeadConfigFileName));
        var meanPooled = File.Exists(Path.Combine(request.ModelFolder, MeanPooledClassifier.PoolingFileName));
        var kind = request.Kind ?? (isLabeler ? OnnxExportKind.Tagger
            : meanPooled || config.Architectures.Any(a => a.EndsWith("ForSequenceClassification", StringComparison.Ordinal)) ? OnnxExportKind.Classifier
            : OnnxExportKind.Encoder);
        var task = kind == OnnxExportKind.Classifier ? ModelTask.SequenceClassification : ModelTask.Base;
        if (config.Family.Type != ModelType.Bert)
            throw new ConfigException($"{request.ModelFolder}: ONNX export of model_type '{config.Family.ModelTypeName}' is not supported yet (only 'bert'; RoBERTa numbers positions differently, ALBERT shares layers, ELECTRA projects embeddings).");
        if (config.HiddenAct != "gelu")
            throw new ConfigException($"{request.ModelFolder}: ONNX export of hidden_act '{config.HiddenAct}' is not supported yet (only 'gelu', the erf form).");
        var pooling = kind == OnnxExportKind.Embedder ? SentenceEmbedder.PoolingOf(request.ModelFolder) : SentencePooling.Mean;

        if (kind == OnnxExportKind.Tagger && !isLabeler)
            throw new ConfigException($"{request.ModelFolder}: no {SequenceLabeler.HeadConfigFileName}, so this is not a saved sequence labeler; export it as an encoder, classifier or embedder.");
        var poolerMissing = false;
        TransformerModel model = kind switch
        {
            OnnxExportKind.Tagger => LoadTagger(request.ModelFolder),
            OnnxExportKind.Classifier => ClassifierFolder.Load(request.ModelFolder),
            _ => LoadChecked(request.ModelFolder, task, out poolerMissing),
        };
        using (model)
        {
            var weights = ReadWeights(model);
            var g = new OnnxGraphWriter();
            var inputs = new[] { "input_ids", "attention_mask", "token_type_ids" };
            foreach (var name in inputs) g.Input(name, OnnxGraphWriter.Int64, "batch", "sequence");
            var b = new BertGraph(g, weights, config, request.Quantization == OnnxQuantization.Int8);
            var (hidden, pooled) = b.Encoder("input_ids", "attention_mask", "token_type_ids", withPooler: kind is OnnxExportKind.Encoder or OnnxExportKind.Classifier && model.Encoder.HasPooler && !poolerMissing && model is not MeanPooledClassifier);
            CrfViterbiDecoder? crfDecoder = null;
            var outputs = new List<string>();
            void Output(string value, string name, params object[] axes)
            {
                g.Node("Identity", "/output/" + name, new[] { value }, new[] { name });
                g.Output(name, OnnxGraphWriter.Float, axes);
                outputs.Add(name);
            }
            switch (kind)
            {
                case OnnxExportKind.Encoder:
                    Output(hidden, "last_hidden_state", "batch", "sequence", (long)config.HiddenSize);
                    if (pooled is not null) Output(pooled, "pooler_output", "batch", (long)config.HiddenSize);
                    break;
                case OnnxExportKind.Classifier when model is MeanPooledClassifier:
                    // Mean over real tokens (count at least 1), then the linear classifier (MeanPoolingClassificationHead).
                    Output(b.Gemm(b.MeanPool(hidden, "attention_mask", 1f), "classifier.classifier", "/classifier/Gemm"), "logits", "batch", (long)weights["classifier.classifier.weight"].Shape[0]);
                    break;
                case OnnxExportKind.Classifier:
                    if (pooled is null) throw new ConfigException($"{request.ModelFolder}: the sequence classifier has no pooler to classify from.");
                    var logits = b.Gemm(pooled, "classifier", "/classifier/Gemm");
                    Output(logits, "logits", "batch", (long)weights["classifier.weight"].Shape[0]);
                    break;
                case OnnxExportKind.Tagger:
                    var labeler = (SequenceLabeler)model;
                    Output(b.Linear(hidden, SequenceLabeler.HeadPrefix + "classifier", "/head/classifier", quantizable: false), "emissions", "batch", "sequence", (long)labeler.Labels.Count);
                    if (labeler.Head.Crf is { } crf) crfDecoder = CrfDecoder(crf, labeler.Labels);
                    break;
                case OnnxExportKind.Embedder:
                    Output(b.SentenceEmbedding(hidden, "attention_mask", pooling), "sentence_embedding", "batch", (long)config.HiddenSize);
                    break;
            }
            var version = typeof(OnnxExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
            AtomicFile.Write(request.OutputPath, stream => g.WriteTo(stream, Opset, version, $"acclimate-{kind.ToString().ToLowerInvariant()}",
                $"Exported by Acclimate from {Path.GetFileName(Path.GetFullPath(request.ModelFolder))} ({kind}, {(kind == OnnxExportKind.Embedder ? pooling + " pooling, L2-normalised" : "eval mode")}{(b.QuantizedLinears > 0 ? $", dynamic int8 in {b.QuantizedLinears} Linear layers" : "")})."));
            // The CRF file after the graph; a stale one from an earlier export of a CRF tagger to the same name is removed.
            var crfPath = request.OutputPath + ".crf.json";
            if (crfDecoder is not null) crfDecoder.Save(crfPath);
            else if (File.Exists(crfPath)) File.Delete(crfPath);
            return new OnnxExportResult(kind, Opset, inputs, outputs, crfDecoder is null ? null : crfPath, b.QuantizedLinears);
        }
    }

    /// <summary>
    /// The model with every exported weight from the folder: a missing encoder or head tensor is an
    /// error (the graph would hold random weights); a missing pooler (sentence-transformers folders)
    /// only drops pooler_output, since the library's pooler would be freshly initialised.
    /// </summary>
    private static TransformerModel LoadChecked(string folder, ModelTask task, out bool poolerMissing)
    {
        var (model, report) = PretrainedModel.Load(folder, task);
        poolerMissing = report.MissingKeys.Any(k => k.Contains("pooler.", StringComparison.Ordinal));
        var missing = report.MissingKeys.Where(k => !k.Contains("pooler.", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            model.Dispose();
            throw new CheckpointException($"{folder}: the checkpoint lacks {missing.Count} tensor(s) the graph needs ({string.Join(", ", missing.Take(5))}); refusing to export random weights.");
        }
        if (poolerMissing && task == ModelTask.SequenceClassification)
        {
            model.Dispose();
            throw new CheckpointException($"{folder}: the checkpoint has no pooler weights, which the classifier reads; refusing to export random weights.");
        }
        return model;
    }

    /// <summary>A saved labeler whose head the graph can express: a linear head on the last layer's states.</summary>
    private static SequenceLabeler LoadTagger(string folder)
    {
        var labeler = SequenceLabeler.Load(folder);
        var options = labeler.Options;
        if (options.Head != TokenHeadKind.Linear || options.Fusion != LayerFusion.Last)
        {
            labeler.Dispose();
            throw new ConfigException($"{Path.Combine(folder, SequenceLabeler.HeadConfigFileName)}: ONNX export of a {options.Head} head with {options.Fusion} layer fusion is not supported yet (only a linear head on the last layer).");
        }
        return labeler;
    }

    /// <summary>The torch-free decoder carrying <paramref name="crf"/>'s scores and constraints.</summary>
    internal static CrfViterbiDecoder CrfDecoder(ConditionalRandomField crf, IReadOnlyList<string> labels)
    {
        var n = crf.NumTags;
        float[] Values(TorchSharp.torch.Tensor t) { using var c = t.detach().contiguous().to(ScalarType.Float32); return c.data<float>().ToArray(); }
        var flat = Values(crf.Transitions);
        var transitions = new float[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++) transitions[i, j] = flat[i * n + j];
        return new CrfViterbiDecoder(labels, transitions, Values(crf.StartTransitions), Values(crf.EndTransitions), crf.Constraints);
    }

    /// <summary>Every parameter of the model, keyed relative to the encoder ("embeddings.…", "encoder.layer.N.…", "pooler.…") or to the task model ("classifier.…").</summary>
    private static Dictionary<string, ImportedTensor> ReadWeights(TransformerModel model)
    {
        var result = new Dictionary<string, ImportedTensor>(StringComparer.Ordinal);
        var backbone = model.BackboneName + ".";
        foreach (var (name, parameter) in model.named_parameters())
        {
            using var contiguous = parameter.detach().contiguous().to(ScalarType.Float32);
            var key = name.StartsWith(backbone, StringComparison.Ordinal) ? name[backbone.Length..] : name;
            result[key] = new ImportedTensor(contiguous.shape, contiguous.data<float>().ToArray());
        }
        return result;
    }

    /// <summary>The BERT forward pass as ONNX nodes.</summary>
    private sealed class BertGraph
    {
        private readonly OnnxGraphWriter _g;
        private readonly IReadOnlyDictionary<string, ImportedTensor> _weights;
        private readonly EncoderConfig _config;
        private readonly HashSet<string> _written = new(StringComparer.Ordinal);
        private readonly bool _int8;
        private string? _zeroPoint;

        public BertGraph(OnnxGraphWriter g, IReadOnlyDictionary<string, ImportedTensor> weights, EncoderConfig config, bool int8)
        {
            _g = g;
            _weights = weights;
            _config = config;
            _int8 = int8;
        }

        /// <summary>How many Linear layers were written as int8.</summary>
        public int QuantizedLinears { get; private set; }

        private ImportedTensor Weight(string key) =>
            _weights.TryGetValue(key, out var t) ? t : throw new CheckpointException($"{_config.SourcePath}: the model has no parameter '{key}' to export.");

        /// <summary>The parameter as an initializer under its HF name.</summary>
        private string Init(string key)
        {
            if (_written.Add(key)) { var t = Weight(key); _g.FloatInitializer(key, t.Shape, t.Values); }
            return key;
        }

        /// <summary>A [out, in] Linear weight stored [in, out] for MatMul, under "&lt;key&gt;.T".</summary>
        private string Transposed(string key)
        {
            var name = key + ".T";
            if (!_written.Add(name)) return name;
            var t = Weight(key);
            long rows = t.Shape[0], cols = t.Shape[1];
            var values = new float[t.Values.Length];
            for (long r = 0; r < rows; r++)
                for (long c = 0; c < cols; c++)
                    values[c * rows + r] = t.Values[r * cols + c];
            _g.FloatInitializer(name, new[] { cols, rows }, values);
            return name;
        }

        private string Op(string op, string node, params string[] inputs) => _g.Op(op, node, inputs);

        /// <summary>x @ Wᵀ + b for x of any rank; int8 when the export quantizes and <paramref name="quantizable"/>.</summary>
        public string Linear(string x, string module, string scope, bool quantizable = true)
        {
            if (_int8 && quantizable) return QuantizedLinear(x, module, scope);
            var product = Op("MatMul", scope + "/MatMul", x, Transposed(module + ".weight"));
            return Op("Add", scope + "/Add", product, Init(module + ".bias"));
        }

        /// <summary>
        /// Dynamic int8 x @ Wᵀ + b: x → (uint8, scale, zero point) by DynamicQuantizeLinear; MatMulInteger
        /// with Wᵀ as int8 [in, out] (zero point 0); the int32 product cast to float and multiplied by
        /// x's scale × the output channel's scale; then the float bias.
        /// </summary>
        private string QuantizedLinear(string x, string module, string scope)
        {
            var (weight, channelScales) = QuantizedTransposed(module + ".weight");
            _zeroPoint ??= _g.RawInitializer("int8_zero_point", Array.Empty<long>(), OnnxGraphWriter.Int8, new byte[1]);
            var quantized = _g.Fresh(scope.TrimStart('/').Replace('/', '_') + "_quantized");
            var inputScale = _g.Fresh(scope.TrimStart('/').Replace('/', '_') + "_scale");
            var inputZeroPoint = _g.Fresh(scope.TrimStart('/').Replace('/', '_') + "_zero_point");
            _g.Node("DynamicQuantizeLinear", scope + "/DynamicQuantizeLinear", new[] { x }, new[] { quantized, inputScale, inputZeroPoint });
            var product = Op("MatMulInteger", scope + "/MatMulInteger", quantized, weight, inputZeroPoint, _zeroPoint);
            var asFloat = _g.Op("Cast", scope + "/Cast", new[] { product }, OnnxGraphWriter.Int("to", OnnxGraphWriter.Float));
            var scale = Op("Mul", scope + "/Mul_scales", inputScale, channelScales);
            var rescaled = Op("Mul", scope + "/Mul", asFloat, scale);
            QuantizedLinears++;
            return Op("Add", scope + "/Add", rescaled, Init(module + ".bias"));
        }

        /// <summary>A [out, in] Linear weight as int8 [in, out] under "&lt;key&gt;.T_int8", with its per-output-channel scales [out] under "&lt;key&gt;.T_scale".</summary>
        private (string Weight, string Scales) QuantizedTransposed(string key)
        {
            string name = key + ".T_int8", scalesName = key + ".T_scale";
            if (!_written.Add(name)) return (name, scalesName);
            var t = Weight(key);
            long rows = t.Shape[0], cols = t.Shape[1];
            var scales = new float[rows];
            for (long r = 0; r < rows; r++)
            {
                var max = 0f;
                for (long c = 0; c < cols; c++) max = MathF.Max(max, MathF.Abs(t.Values[r * cols + c]));
                scales[r] = max > 0 ? max / 127f : 1f;
            }
            var values = new sbyte[t.Values.Length];
            for (long r = 0; r < rows; r++)
                for (long c = 0; c < cols; c++)
                    values[c * rows + r] = (sbyte)Math.Clamp(MathF.Round(t.Values[r * cols + c] / scales[r], MidpointRounding.AwayFromZero), -127f, 127f);
            _g.Int8Initializer(name, new[] { cols, rows }, values);
            _g.FloatInitializer(scalesName, new[] { rows }, scales);
            return (name, scalesName);
        }

        /// <summary>x @ Wᵀ + b for x [batch, in], weight kept in HF's layout.</summary>
        public string Gemm(string x, string module, string node) =>
            _g.Op("Gemm", node, new[] { x, Init(module + ".weight"), Init(module + ".bias") }, OnnxGraphWriter.Int("transB", 1));

        private string LayerNorm(string x, string module, string scope) =>
            _g.Op("LayerNormalization", scope + "/LayerNormalization", new[] { x, Init(module + ".weight"), Init(module + ".bias") },
                OnnxGraphWriter.Int("axis", -1), OnnxGraphWriter.FloatAttr("epsilon", (float)_config.LayerNormEps));

        /// <summary>last_hidden_state and (when asked) pooler_output.</summary>
        public (string Hidden, string? Pooled) Encoder(string inputIds, string attentionMask, string tokenTypeIds, bool withPooler)
        {
            // Embeddings: words + token types + positions 0..sequence-1, in the library's order.
            var words = Op("Gather", "/embeddings/word_embeddings/Gather", Init("embeddings.word_embeddings.weight"), inputIds);
            var types = Op("Gather", "/embeddings/token_type_embeddings/Gather", Init("embeddings.token_type_embeddings.weight"), tokenTypeIds);
            var shape = Op("Shape", "/embeddings/Shape", inputIds);
            var length = _g.Op("Gather", "/embeddings/Gather_length", new[] { shape, _g.Int64Scalar(1) }, OnnxGraphWriter.Int("axis", 0));
            var positions = Op("Range", "/embeddings/Range", _g.Int64Scalar(0), length, _g.Int64Scalar(1));
            var positionEmbeddings = Op("Gather", "/embeddings/position_embeddings/Gather", Init("embeddings.position_embeddings.weight"), positions);
            var sum = Op("Add", "/embeddings/Add_1", Op("Add", "/embeddings/Add", words, types), positionEmbeddings);
            var hidden = LayerNorm(sum, "embeddings.LayerNorm", "/embeddings/LayerNorm");

            // Additive mask [batch, 1, 1, sequence]: 0 where attended, float.MinValue where padded.
            var maskFloat = _g.Op("Cast", "/mask/Cast", new[] { attentionMask }, OnnxGraphWriter.Int("to", OnnxGraphWriter.Float));
            var inverted = Op("Sub", "/mask/Sub", _g.FloatScalar(1f), maskFloat);
            var scaled = Op("Mul", "/mask/Mul", inverted, _g.FloatScalar(float.MinValue));
            var additive = Op("Unsqueeze", "/mask/Unsqueeze", scaled, _g.Int64Vector("axes", 1, 2));

            for (var i = 0; i < _config.NumHiddenLayers; i++) hidden = Layer(hidden, additive, i);

            if (!withPooler) return (hidden, null);
            var first = _g.Op("Gather", "/pooler/Gather", new[] { hidden, _g.Int64Scalar(0) }, OnnxGraphWriter.Int("axis", 1));
            var pooled = Op("Tanh", "/pooler/activation/Tanh", Gemm(first, "pooler.dense", "/pooler/dense/Gemm"));
            return (hidden, pooled);
        }

        private string Layer(string x, string additiveMask, int i)
        {
            var p = $"encoder.layer.{i}.";
            var s = $"/encoder/layer.{i}/";
            int heads = _config.NumAttentionHeads, headDim = _config.HiddenSize / heads;
            var split = _g.Int64Vector("heads_shape", 0, 0, heads, headDim);
            string Heads(string projected, string name, long[] perm) =>
                _g.Op("Transpose", s + $"attention/self/{name}/Transpose", new[] { Op("Reshape", s + $"attention/self/{name}/Reshape", projected, split) }, OnnxGraphWriter.Ints("perm", perm));
            var q = Heads(Linear(x, p + "attention.self.query", s + "attention/self/query"), "query", new long[] { 0, 2, 1, 3 });
            var k = Heads(Linear(x, p + "attention.self.key", s + "attention/self/key"), "key", new long[] { 0, 2, 3, 1 });
            var v = Heads(Linear(x, p + "attention.self.value", s + "attention/self/value"), "value", new long[] { 0, 2, 1, 3 });
            var scores = Op("Div", s + "attention/self/Div", Op("MatMul", s + "attention/self/MatMul", q, k), _g.FloatScalar(MathF.Sqrt(headDim)));
            var masked = Op("Add", s + "attention/self/Add", scores, additiveMask);
            var probs = _g.Op("Softmax", s + "attention/self/Softmax", new[] { masked }, OnnxGraphWriter.Int("axis", -1));
            var context = Op("MatMul", s + "attention/self/MatMul_1", probs, v);
            var merged = Op("Reshape", s + "attention/self/Reshape_3",
                _g.Op("Transpose", s + "attention/self/Transpose_3", new[] { context }, OnnxGraphWriter.Ints("perm", 0, 2, 1, 3)),
                _g.Int64Vector("merge_shape", 0, 0, _config.HiddenSize));
            var attended = LayerNorm(Op("Add", s + "attention/output/Add_residual", Linear(merged, p + "attention.output.dense", s + "attention/output/dense"), x),
                p + "attention.output.LayerNorm", s + "attention/output/LayerNorm");

            // GELU, erf form: 0.5 · x · (1 + erf(x / √2)).
            var widened = Linear(attended, p + "intermediate.dense", s + "intermediate/dense");
            var erf = Op("Erf", s + "intermediate/Erf", Op("Div", s + "intermediate/Div", widened, _g.FloatScalar(MathF.Sqrt(2f))));
            var gelu = Op("Mul", s + "intermediate/Mul_1", Op("Mul", s + "intermediate/Mul", widened, Op("Add", s + "intermediate/Add", erf, _g.FloatScalar(1f))), _g.FloatScalar(0.5f));

            var projectedBack = Linear(gelu, p + "output.dense", s + "output/dense");
            return LayerNorm(Op("Add", s + "output/Add_residual", projectedBack, attended), p + "output.LayerNorm", s + "output/LayerNorm");
        }

        /// <summary>Σ states × mask / max(Σ mask, <paramref name="minCount"/>): [batch, hidden].</summary>
        public string MeanPool(string hidden, string attentionMask, float minCount)
        {
            var mask = _g.Op("Cast", "/pooling/Cast", new[] { attentionMask }, OnnxGraphWriter.Int("to", OnnxGraphWriter.Float));
            var weights = Op("Unsqueeze", "/pooling/Unsqueeze", mask, _g.Int64Vector("axes", -1));
            var axis1 = _g.Int64Vector("axes", 1);
            var summed = _g.Op("ReduceSum", "/pooling/ReduceSum", new[] { Op("Mul", "/pooling/Mul", hidden, weights), axis1 }, OnnxGraphWriter.Int("keepdims", 0));
            var counts = Op("Max", "/pooling/Max", _g.Op("ReduceSum", "/pooling/ReduceSum_1", new[] { weights, axis1 }, OnnxGraphWriter.Int("keepdims", 0)), _g.FloatScalar(minCount));
            return Op("Div", "/pooling/Div", summed, counts);
        }

        /// <summary>Mean over real tokens (or the first token) then x / max(‖x‖₂, 1e-12), as SentenceEmbedder with normalisation.</summary>
        public string SentenceEmbedding(string hidden, string attentionMask, SentencePooling pooling)
        {
            string pooled;
            if (pooling == SentencePooling.Cls)
                pooled = _g.Op("Gather", "/pooling/Gather", new[] { hidden, _g.Int64Scalar(0) }, OnnxGraphWriter.Int("axis", 1));
            else
                pooled = MeanPool(hidden, attentionMask, 1e-9f);
            var squares = Op("Mul", "/normalize/Mul", pooled, pooled);
            var norm = Op("Sqrt", "/normalize/Sqrt", _g.Op("ReduceSum", "/normalize/ReduceSum", new[] { squares, _g.Int64Vector("axes", -1) }, OnnxGraphWriter.Int("keepdims", 1)));
            return Op("Div", "/normalize/Div", pooled, Op("Max", "/normalize/Max", norm, _g.FloatScalar(1e-12f)));
        }
    }
}
