using System.Text.Json.Nodes;
using Acclimate.Data.Tagging;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Tagging;
using Acclimate.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Acclimate.Samples;

/// <summary>
/// An entity found by <see cref="OnnxEntityTagger"/>: its type, UTF-16 offsets [Start, End) into the text, the text,
/// and the confidence <c>acclimate predict</c> reports: the probability that the entity's words carry exactly
/// the predicted tags — the CRF's span marginal (<see cref="CrfPosterior"/>, plain C#) or, without a CRF,
/// the product of the words' softmax probabilities.
/// </summary>
public sealed record OnnxEntity(string Type, int Start, int End, string Text, double Confidence);

/// <summary>
/// A tagger exported by <c>acclimate model export --onnx tagger.onnx --model run/best-model</c>, run
/// without libtorch: ONNX Runtime computes the emissions, the library's tokenizer splits words into
/// subwords, and <see cref="CrfViterbiDecoder"/> (plain C#) picks the best tag path. It does what
/// <c>acclimate predict</c> does: each word is tokenized on its own, labelled from its first subword,
/// and a sentence longer than the model's input is cut into overlapping windows whose per-token
/// emissions come from the window where the token has the most context (the earlier on a tie).
/// </summary>
public sealed class OnnxEntityTagger : IDisposable
{
    private readonly InferenceSession _session;
    private readonly CrfViterbiDecoder? _crf;
    private readonly Dictionary<string, long[]> _pieces = new(StringComparer.Ordinal);

    /// <param name="onnxPath">The exported graph; a CRF tagger's "&lt;graph&gt;.crf.json" is read from beside it.</param>
    /// <param name="modelFolder">The tagger's folder (tokenizer files, tagging.json, head_config.json): the best-model folder the export was made from.</param>
    /// <param name="options">ONNX Runtime session options (threads, …), or null for the defaults.</param>
    public OnnxEntityTagger(string onnxPath, string modelFolder, SessionOptions? options = null)
    {
        Tokenizer = TokenizerLoader.FromFolder(modelFolder);
        Info = TaggingModelInfo.Load(modelFolder);
        var crfPath = onnxPath + ".crf.json";
        _crf = File.Exists(crfPath) ? CrfViterbiDecoder.Load(crfPath) : null;
        Labels = _crf?.Labels ?? HeadLabels(modelFolder);
        _session = options is null ? new InferenceSession(onnxPath) : new InferenceSession(onnxPath, options);
    }

    private static string[] HeadLabels(string modelFolder)
    {
        var head = JsonNode.Parse(File.ReadAllText(Path.Combine(modelFolder, "head_config.json")));
        return (head?["labels"] as JsonArray ?? throw new InvalidDataException($"{modelFolder}: head_config.json has no 'labels'."))
            .Select(l => l!.GetValue<string>()).ToArray();
    }

    /// <summary>The tokenizer of the model folder.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The tagger's schemes, input length and window stride (tagging.json).</summary>
    public TaggingModelInfo Info { get; }

    /// <summary>Label names by emission column.</summary>
    public IReadOnlyList<string> Labels { get; }

    private int ContentLength => Info.MaxLength - 2;

    private int Stride => Math.Min(Info.Stride > 0 ? Info.Stride : ContentLength, ContentLength - 1);

    /// <summary>Entities of each text with character offsets [Start, End) into it.</summary>
    public IReadOnlyList<IReadOnlyList<OnnxEntity>> Tag(IReadOnlyList<string> texts, int batchSize = 32)
    {
        var words = texts.Select(t => TextEntities.Words(Tokenizer, t)).ToArray();
        var emissions = WordEmissions(words.Select(w => (IReadOnlyList<string>)w.Select(x => x.Word).ToArray()).ToArray(), batchSize);
        var labelIds = Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        return texts.Select((text, i) =>
        {
            var tags = Decode(emissions[i]);
            var ids = tags.Select(t => labelIds[t]).ToArray();
            var confidence = SpanConfidence(emissions[i], ids);
            return (IReadOnlyList<OnnxEntity>)TagDecoder.Decode(tags, Info.ModelScheme ?? TaggingScheme.IOB2)
                .Select(s => new OnnxEntity(s.Type, words[i][s.Start].Start, words[i][s.End - 1].End, text[words[i][s.Start].Start..words[i][s.End - 1].End], confidence(s.Start, s.End)))
                .ToArray();
        }).ToArray();
    }

    /// <summary>
    /// The probability that words [start, end) carry exactly the label ids <paramref name="ids"/> give them:
    /// with a CRF, the span marginal from forward–backward over the sentence's emissions (the library's
    /// <see cref="CrfPosterior"/>, what <c>acclimate predict</c> reports); without, the product of the
    /// words' softmax probabilities.
    /// </summary>
    public Func<int, int, double> SpanConfidence(float[,] emissions, int[] ids)
    {
        if (_crf is not null)
        {
            CrfPosterior? posterior = null;
            return (start, end) => (posterior ??= _crf.Posterior(emissions)).SpanProbability(start, ids.AsSpan(start, end - start));
        }
        return (start, end) =>
        {
            var p = 1.0;
            for (var w = start; w < end; w++)
            {
                var max = double.NegativeInfinity;
                for (var l = 0; l < Labels.Count; l++) max = Math.Max(max, emissions[w, l]);
                double sum = 0;
                for (var l = 0; l < Labels.Count; l++) sum += Math.Exp(emissions[w, l] - max);
                p *= (float)(Math.Exp(emissions[w, ids[w]] - max) / sum);
            }
            return p;
        };
    }

    /// <summary>Tags (the model's scheme) of pre-split sentences.</summary>
    /// <param name="sentences">Pre-split words per sentence.</param>
    /// <param name="batchSize">Windows per ONNX Runtime call.</param>
    public IReadOnlyList<string[]> TagWords(IReadOnlyList<IReadOnlyList<string>> sentences, int batchSize = 32) =>
        WordEmissions(sentences, batchSize).Select(Decode).ToArray();

    /// <summary>The best tags for one sentence's word emissions [words, labels]: CRF Viterbi, or the argmax without a CRF.</summary>
    public string[] Decode(float[,] emissions)
    {
        int words = emissions.GetLength(0), labels = emissions.GetLength(1);
        var flat = new float[words * labels];
        Buffer.BlockCopy(emissions, 0, flat, 0, flat.Length * sizeof(float));
        if (_crf is not null) return _crf.DecodeLabels(flat, words);
        return Enumerable.Range(0, words).Select(w => Labels[Enumerable.Range(0, labels).MaxBy(l => flat[w * labels + l])]).ToArray();
    }

    /// <summary>Per sentence, the emissions of each word's first subword [words, labels].</summary>
    /// <param name="sentences">Pre-split words per sentence.</param>
    /// <param name="batchSize">Windows per ONNX Runtime call (windows are sorted by length first, so padding stays small).</param>
    /// <param name="run">What computes the emissions of a batch of token-id rows; null = <see cref="Run"/> (a benchmark passes another engine here to compare on identical inputs).</param>
    public IReadOnlyList<float[,]> WordEmissions(IReadOnlyList<IReadOnlyList<string>> sentences, int batchSize = 32, Func<IReadOnlyList<long[]>, float[][]>? run = null)
    {
        run ??= Run;
        // Every sentence becomes one or more windows: [CLS] content [SEP].
        var windows = new List<(int Sentence, int Start, long[] Ids)>();
        var plans = new List<(int[] FirstPiece, SlidingWindowPlan Plan)>();
        for (var s = 0; s < sentences.Count; s++)
        {
            var content = new List<long>();
            var first = new int[sentences[s].Count];
            for (var w = 0; w < sentences[s].Count; w++) { first[w] = content.Count; content.AddRange(Pieces(sentences[s][w])); }
            // The library's window planner: the windows and the owner rule predict uses.
            var plan = SlidingWindowPlan.Create(content.Count, ContentLength, Stride);
            plans.Add((first, plan));
            foreach (var (start, length) in plan.Windows)
                windows.Add((s, start, new long[] { Tokenizer.ClsTokenId }.Concat(content.Skip(start).Take(length)).Append(Tokenizer.SepTokenId).ToArray()));
        }
        var outputs = new float[windows.Count][];
        var order = Enumerable.Range(0, windows.Count).OrderBy(i => windows[i].Ids.Length).ToArray();
        for (var b = 0; b < order.Length; b += batchSize)
        {
            var chunk = order.Skip(b).Take(batchSize).ToArray();
            var rows = run(chunk.Select(i => windows[i].Ids).ToArray());
            for (var r = 0; r < chunk.Length; r++) outputs[chunk[r]] = rows[r];
        }
        var results = new float[sentences.Count][,];
        var next = 0;
        for (var s = 0; s < sentences.Count; s++)
        {
            var (first, plan) = plans[s];
            var scores = new float[first.Length, Labels.Count];
            for (var w = 0; w < first.Length; w++)
            {
                var p = first[w];
                var owner = plan.Owner[p];
                var row = outputs[next + owner];
                var position = 1 + p - plan.Windows[owner].Start;
                for (var l = 0; l < Labels.Count; l++) scores[w, l] = row[position * Labels.Count + l];
            }
            results[s] = scores;
            next += plan.Windows.Count;
        }
        return results;
    }

    /// <summary>Runs the graph on rows of token ids (padded to the longest); returns each row's emissions [positions, labels], flattened.</summary>
    public float[][] Run(IReadOnlyList<long[]> rows)
    {
        int batch = rows.Count, length = rows.Max(r => r.Length);
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        Array.Fill(ids, Tokenizer.PadTokenId);
        for (var r = 0; r < batch; r++)
            for (var t = 0; t < rows[r].Length; t++) { ids[r * length + t] = rows[r][t]; mask[r * length + t] = 1; }
        int[] shape = { batch, length };
        using var results = _session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[batch * length], shape)),
        });
        var emissions = results.Single(r => r.Name == "emissions").AsTensor<float>().ToArray();
        var width = length * Labels.Count;
        return Enumerable.Range(0, batch).Select(r => emissions.AsSpan(r * width, width).ToArray()).ToArray();
    }

    /// <summary>The subword ids of one word, alone (a word that tokenizes to nothing is [UNK]).</summary>
    private long[] Pieces(string word)
    {
        if (_pieces.TryGetValue(word, out var cached)) return cached;
        var ids = Tokenizer.Encode(word, null, new EncodeOptions { AddSpecialTokens = false }).Ids;
        return _pieces[word] = ids.Count == 0 ? new long[] { Tokenizer.UnkTokenId } : ids.Select(i => (long)i).ToArray();
    }

    /// <summary>Closes the ONNX Runtime session.</summary>
    public void Dispose() => _session.Dispose();
}
