using Acclimate.Encoders;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Tagging;
using Acclimate.Tests.FineTuning;

namespace Acclimate.Tests.Samples;

/// <summary>
/// samples/OnnxTagger, run as a user would on a tiny CRF tagger exported to ONNX (float32 and
/// int8): it prints entities whose offsets cut their text out of the input, and in float32 they
/// are exactly the entities the library finds on libtorch (TextEntities.Predict), with the same confidence within 1e-4, a long text
/// (sliding windows, max_length 16) included.
/// </summary>
public sealed class OnnxTaggerSampleTests
{
    [Fact]
    public void TheSampleTagsTextWithTheExportedTaggerAsTheLibraryDoes()
    {
        using var fixture = new FineTuneCliFixture();
        var run = fixture.Temp.File("run");
        var code = FineTuneCliFixture.Run(out var o, out var e, "finetune", "--config", fixture.Recipe("crf", model: "crf: true"), "--run-dir", run, "--set", "training.epochs=12");
        Assert.True(code == 0, o + e);
        var folder = Path.Combine(run, "best-model");
        var onnx = fixture.Temp.File("tagger.onnx");
        OnnxExport.Export(new OnnxExportRequest(folder, onnx));
        var int8 = fixture.Temp.File("tagger-int8.onnx");
        OnnxExport.Export(new OnnxExportRequest(folder, int8, Quantization: OnnxQuantization.Int8));

        var texts = new[]
        {
            "John flew from Paris to New York.",
            "Mary and Anna and Bob went from Paris to London to Berlin to New York and back again today with John.",
        };
        IReadOnlyList<IReadOnlyList<TextEntity>> expected;
        using (var tagger = TaggerEnsemble.Load(new[] { folder }))
            expected = TextEntities.Predict(tagger, texts);
        Assert.Contains(expected, list => list.Count > 0);

        foreach (var graph in new[] { onnx, int8 })
        {
            var lines = RunSample(graph, folder, texts);
            var printed = lines.Select(l => l.Split('\t')).ToArray();
            foreach (var parts in printed)
            {
                // TYPE \t [start, end) \t text: the offsets cut exactly that text out of one of the inputs.
                Assert.Contains(parts[0], new[] { "PER", "LOC" });
                var span = parts[1].Trim('[', ')').Split(", ").Select(int.Parse).ToArray();
                Assert.Contains(texts, t => span[1] <= t.Length && t[span[0]..span[1]] == parts[2]);
            }
            // The fourth column is the entity's confidence, in [0, 1].
            Assert.All(printed, parts => Assert.InRange(double.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture), 0.0, 1.0));
            if (graph == onnx)
            {
                var flat = expected.SelectMany(l => l).ToArray();
                Assert.Equal(flat.Select(x => $"{x.Type}\t[{x.Start}, {x.End})\t{x.Text}"), printed.Select(p => string.Join('\t', p[..3])));
                // The same confidence as `predict` (CrfPosterior on the ONNX emissions vs on libtorch's), printed to 6 decimals.
                for (var k = 0; k < flat.Length; k++)
                    Assert.True(Math.Abs(flat[k].Confidence - double.Parse(printed[k][3], System.Globalization.CultureInfo.InvariantCulture)) <= 1e-4, $"entity {k}: {flat[k].Confidence} vs {printed[k][3]}");
            }
        }
    }

    [Fact]
    public void TooFewArgumentsIsExitCodeTwo()
    {
        var errors = new StringWriter();
        var original = Console.Error;
        try
        {
            Console.SetError(errors);
            Assert.Equal(2, Acclimate.Samples.OnnxTagger.Main(new[] { "only.onnx" }));
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.Contains("usage", errors.ToString());
    }

    private static string[] RunSample(string onnx, string folder, string[] texts)
    {
        var output = new StringWriter();
        var original = Console.Out;
        int code;
        try
        {
            Console.SetOut(output);
            code = Acclimate.Samples.OnnxTagger.Main(new[] { onnx, folder }.Concat(texts).ToArray());
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.Equal(0, code);
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
