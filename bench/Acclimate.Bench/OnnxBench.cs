using System.Diagnostics;
using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Encoders;
using Acclimate.Evaluation;
using Acclimate.FineTuning;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Recipes;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Samples;
using Acclimate.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace Acclimate.Bench;

/// <summary>
/// Issue 27's deployment checks on a trained tagger and its ONNX exports (bench/onnx-deploy.sh runs both):
/// <c>onnx-parity TAGGER FP32.onnx INT8.onnx TEST.conll</c> tags the whole test set on libtorch
/// (TaggerEnsemble, as <c>acclimate evaluate</c>) and on ONNX Runtime (samples/OnnxTagger's
/// OnnxEntityTagger), and prints entity-list agreement, F1 to 4 decimals and max |Δ emissions|;
/// <c>onnx-speed TAGGER FP32 INT8 TEST.conll ENCODER EMB_FP32 EMB_INT8 THREADS N</c> prints sentences/s
/// of tagging and embedding at batch 1 and 32 for libtorch fp32 / bf16 and ONNX Runtime fp32 / int8,
/// each the median of 3 repeats, the paths interleaved in one run.
/// </summary>
internal static class OnnxBench
{
    public static int Parity(string[] args)
    {
        if (args.Length < 4) { Console.Error.WriteLine("usage: onnx-parity TAGGER_DIR FP32.onnx INT8.onnx TEST.conll"); return 2; }
        var (folder, fp32, int8, conll) = (args[0], args[1], args[2], args[3]);
        TorchRuntime.EnsureInitialized();
        set_num_threads(1);
        var sentences = ConllReader.Read(conll).ToList();
        var words = sentences.Select(s => s.Words).ToArray();
        var gold = sentences.Select(s => s.Tags).ToArray();
        Console.WriteLine($"{conll}: {sentences.Count} sentences, {sentences.Sum(s => s.Words.Count)} words");

        IReadOnlyList<IReadOnlyList<string>> torchTags;
        using (var ensemble = TaggerEnsemble.Load(new[] { folder }))
            torchTags = ensemble.Predict(words, EnsembleMethod.Average);
        var torchF1 = Seqeval.Evaluate(gold, torchTags).MicroAverage.F1;
        Console.WriteLine($"libtorch (TaggerEnsemble.Predict): F1 {torchF1:F4}");

        using var labeler = SequenceLabeler.Load(folder);
        labeler.eval();
        float[][] TorchRun(IReadOnlyList<long[]> rows)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            int batch = rows.Count, length = rows.Max(r => r.Length);
            var ids = new long[batch * length];
            var mask = new long[batch * length];
            for (var r = 0; r < batch; r++)
                for (var t = 0; t < rows[r].Length; t++) { ids[r * length + t] = rows[r][t]; mask[r * length + t] = 1; }
            var logits = labeler.Forward(new ModelInputs(tensor(ids, new long[] { batch, length }), tensor(mask, new long[] { batch, length }))).Logits.contiguous();
            var flat = logits.data<float>().ToArray();
            var width = flat.Length / batch;
            return Enumerable.Range(0, batch).Select(r => flat.AsSpan(r * width, width).ToArray()).ToArray();
        }

        foreach (var (graph, name) in new[] { (fp32, "ONNX Runtime fp32"), (int8, "ONNX Runtime int8") })
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1 };
            using var tagger = new OnnxEntityTagger(graph, folder, options);
            var ortEmissions = tagger.WordEmissions(words);
            var torchEmissions = tagger.WordEmissions(words, run: TorchRun);
            var worst = 0.0;
            for (var s = 0; s < words.Length; s++)
                for (var w = 0; w < ortEmissions[s].GetLength(0); w++)
                    for (var l = 0; l < ortEmissions[s].GetLength(1); l++)
                        worst = Math.Max(worst, Math.Abs(ortEmissions[s][w, l] - torchEmissions[s][w, l]));
            var scheme = tagger.Info.ModelScheme ?? TaggingScheme.IOB2;
            var fileScheme = tagger.Info.FileScheme ?? scheme;
            var tags = ortEmissions.Select(e => (IReadOnlyList<string>)TagEncoder.Encode(TagDecoder.Decode(tagger.Decode(e), scheme), e.GetLength(0), fileScheme)).ToArray();
            var sameTags = Enumerable.Range(0, words.Length).Count(s => tags[s].SequenceEqual(torchTags[s]));
            var torchEntities = Entities(torchTags, fileScheme);
            var ortEntities = Entities(tags, fileScheme);
            var f1 = Seqeval.Evaluate(gold, tags).MicroAverage.F1;
            Console.WriteLine($"{name}: F1 {f1:F4} (Δ {f1 - torchF1:+0.0000;-0.0000;0.0000}); sentences with identical tags {sameTags}/{words.Length}; " +
                $"entities {ortEntities.Count} vs libtorch {torchEntities.Count}, identical lists: {ortEntities.SetEquals(torchEntities)} " +
                $"({ortEntities.Except(torchEntities).Count()} only ONNX, {torchEntities.Except(ortEntities).Count()} only libtorch); " +
                $"max |Δ word emissions| vs libtorch on the same windows {worst:E2}");
        }
        return 0;
    }

    private static HashSet<(int Sentence, int Start, int End, string Type)> Entities(IReadOnlyList<IReadOnlyList<string>> tags, TaggingScheme scheme) =>
        tags.SelectMany((t, s) => TagDecoder.Decode(t, scheme).Select(e => (s, e.Start, e.End, e.Type))).ToHashSet();

    public static int Speed(string[] args)
    {
        if (args.Length < 9) { Console.Error.WriteLine("usage: onnx-speed TAGGER_DIR FP32.onnx INT8.onnx TEST.conll ENCODER_DIR EMB_FP32.onnx EMB_INT8.onnx THREADS(1,2) N"); return 2; }
        var (folder, fp32, int8, conll, encoder, embFp32, embInt8) = (args[0], args[1], args[2], args[3], args[4], args[5], args[6]);
        var threadCounts = args[7].Split(',').Select(int.Parse).ToArray();
        var n = int.Parse(args[8]);
        TorchRuntime.EnsureInitialized();
        var words = ConllReader.Read(conll).Take(n).Select(s => s.Words).ToArray();
        var texts = words.Select(w => string.Join(' ', w)).ToArray();
        Console.WriteLine($"{n} NCBI-disease test sentences ({words.Average(w => w.Count):F1} words on average); sentences/s, median of 3 repeats; paths interleaved in one run");
        Console.WriteLine("| threads | task | batch | libtorch fp32 | libtorch bf16 | ORT fp32 | ORT int8 | ORT int8 / libtorch fp32 |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        using var ensemble = TaggerEnsemble.Load(new[] { folder });
        foreach (var threads in threadCounts)
        {
            set_num_threads(threads);
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
            using var taggerFp32 = new OnnxEntityTagger(fp32, folder, options);
            using var taggerInt8 = new OnnxEntityTagger(int8, folder, options);
            using var embedFp32 = new InferenceSession(embFp32, options);
            using var embedInt8 = new InferenceSession(embInt8, options);
            var tokenizer = TokenizerLoader.FromFolder(encoder);
            foreach (var batch in new[] { 1, 32 })
            {
                var tagPaths = new (string Name, Action Run)[]
                {
                    ("torch fp32", () => TorchTag(ensemble, words, batch)),
                    ("torch bf16", () => { using (Autocast.Enter(ComputePrecision.Bf16)) TorchTag(ensemble, words, batch); }),
                    ("ort fp32", () => taggerFp32.TagWords(words, batch)),
                    ("ort int8", () => taggerInt8.TagWords(words, batch)),
                };
                Row(threads, "tag", batch, n, tagPaths);
                using var embedder = new SentenceEmbedder(encoder, new EmbeddingOptions(BatchSize: batch));
                var embedPaths = new (string Name, Action Run)[]
                {
                    ("torch fp32", () => embedder.Embed(texts)),
                    ("torch bf16", () => { using (Autocast.Enter(ComputePrecision.Bf16)) embedder.Embed(texts); }),
                    ("ort fp32", () => OrtEmbed(embedFp32, tokenizer, texts, batch)),
                    ("ort int8", () => OrtEmbed(embedInt8, tokenizer, texts, batch)),
                };
                Row(threads, "embed", batch, n, embedPaths);
            }
            if (threads == threadCounts[0])
            {
                // Embedding agreement on the same texts: libtorch fp32 vs each ONNX graph (and bf16).
                using var embedder = new SentenceEmbedder(encoder, new EmbeddingOptions(BatchSize: 32));
                var reference = embedder.Embed(texts);
                float[][] bf16;
                using (Autocast.Enter(ComputePrecision.Bf16)) bf16 = embedder.Embed(texts);
                foreach (var (name, vectors) in new[] { ("libtorch bf16", bf16), ("ORT fp32", OrtEmbed(embedFp32, tokenizer, texts, 32)), ("ORT int8", OrtEmbed(embedInt8, tokenizer, texts, 32)) })
                {
                    var maxDiff = reference.Zip(vectors).Max(p => p.First.Zip(p.Second).Max(z => Math.Abs(z.First - z.Second)));
                    var minCos = reference.Zip(vectors).Min(p => p.First.Zip(p.Second).Sum(z => (double)z.First * z.Second));
                    Console.Error.WriteLine($"embed {name} vs libtorch fp32: max |Δ| {maxDiff:E2}, min cosine {minCos:F5}");
                }
            }
        }
        return 0;
    }

    private static void TorchTag(TaggerEnsemble ensemble, IReadOnlyList<IReadOnlyList<string>> words, int batch)
    {
        // The library batches 32 sentences per forward pass inside Predict; batch 1 calls it per sentence.
        if (batch == 1) foreach (var w in words) ensemble.Predict(new[] { w }, EnsembleMethod.Average);
        else ensemble.Predict(words, EnsembleMethod.Average);
    }

    private static float[][] OrtEmbed(InferenceSession session, ITextTokenizer tokenizer, IReadOnlyList<string> texts, int batch)
    {
        var result = new List<float[]>(texts.Count);
        for (var b = 0; b < texts.Count; b += batch)
        {
            var encoded = tokenizer.EncodeBatch(texts.Skip(b).Take(batch).ToArray());
            int rows = encoded.BatchSize, length = encoded.SequenceLength;
            int[] shape = { rows, length };
            using var outputs = session.Run(new[]
            {
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(encoded.InputIds.Cast<long>().ToArray(), shape)),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(encoded.AttentionMask.Cast<long>().ToArray(), shape)),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(encoded.TokenTypeIds.Cast<long>().ToArray(), shape)),
            });
            var flat = outputs.First().AsTensor<float>().ToArray();
            var width = flat.Length / rows;
            for (var r = 0; r < rows; r++) result.Add(flat.AsSpan(r * width, width).ToArray());
        }
        return result.ToArray();
    }

    private static void Row(int threads, string task, int batch, int n, (string Name, Action Run)[] paths)
    {
        foreach (var p in paths) p.Run();   // warm-up
        var times = paths.Select(_ => new List<double>()).ToArray();
        for (var repeat = 0; repeat < 3; repeat++)
            for (var i = 0; i < paths.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                paths[i].Run();
                times[i].Add(watch.Elapsed.TotalSeconds);
            }
        var rates = times.Select(t => n / t.Order().ElementAt(1)).ToArray();
        Console.WriteLine($"| {threads} | {task} | {batch} | {rates[0]:F1} | {rates[1]:F1} | {rates[2]:F1} | {rates[3]:F1} | {rates[3] / rates[0]:F2}× |");
    }
}
