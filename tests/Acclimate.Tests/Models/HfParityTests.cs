using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Models;

/// <summary>
/// Every HF-parity fixture (tensors written by HuggingFace's own modeling code) loads and
/// reproduces every expected tensor: 1e-5 absolute for hidden states and pooler, 1e-4 for logits
/// and losses.
/// </summary>
public sealed class HfParityTests
{
    public static TheoryData<string> Fixtures => HfParityFixtures.All;

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ReproducesEveryExpectedTensor(string fixture)
    {
        TorchRuntime.EnsureInitialized();
        var folder = TestPaths.Fixture("hf-parity", fixture);
        var (model, report) = PretrainedModel.Load(folder);
        using var _ = model;
        Assert.Empty(report.MissingKeys);
        Assert.Empty(report.UnexpectedKeys);
        model.eval();

        var produced = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            var batches = ModelInputsFile.Read(Path.Combine(folder, "inputs.json"));
            for (var b = 0; b < batches.Count; b++)
                foreach (var (name, value) in model.Forward(batches[b]).Named())
                    produced[$"b{b}.{name}"] = value;
        }

        using var expected = SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors"));
        Assert.Equal(expected.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal), produced.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var name in expected.Tensors.Keys)
        {
            using var want = expected.ReadTensor(name);
            var got = produced[name];
            Assert.Equal(want.shape, got.shape);
            var tolerance = name.Contains("hidden_state") || name.Contains("pooler_output") ? 1e-5 : 1e-4;
            using var diff = (want - got).abs().max();
            var maxDiff = diff.item<float>();
            Assert.True(maxDiff <= tolerance, $"{fixture}: {name} differs from HF by {maxDiff:E3} (tolerance {tolerance:E0})");
        }
    }
}
