using Acclimate.Runtime;
using Acclimate.Tests.Training;
using Acclimate.Training;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Acclimate.Tests.Runtime;

public sealed class AutocastTests
{
    private readonly ITestOutputHelper _output;

    public AutocastTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    [Fact]
    public void ScopesNestAndRestoreThePreviousPrecision()
    {
        Assert.Equal(ComputePrecision.Fp32, Autocast.Current);
        using (Autocast.Enter(ComputePrecision.Bf16))
        {
            Assert.True(Autocast.IsReduced);
            Assert.Equal(ScalarType.BFloat16, Autocast.ComputeType);
            using (Autocast.Enter(ComputePrecision.Fp32)) Assert.False(Autocast.IsReduced);
            Assert.Equal(ComputePrecision.Bf16, Autocast.Current);
        }
        Assert.Equal(ComputePrecision.Fp32, Autocast.Current);
    }

    [Fact]
    public void Fp32LinearIsExactlyTheLayer()
    {
        manual_seed(1);
        using var layer = nn.Linear(8, 5);
        using var x = randn(3, 8);
        using var expected = layer.forward(x);
        using var actual = Autocast.Linear(layer, x);
        Assert.True(TensorAssert.BitEqual(expected, actual));
    }

    /// <summary>
    /// In bf16 the product is rounded to bf16's 8-bit mantissa, yet comes back as fp32 and its
    /// gradient reaches the fp32 weight as fp32.
    /// </summary>
    [Fact]
    public void Bf16LinearRoundsTheProductButKeepsFp32TensorsAndGradients()
    {
        manual_seed(2);
        using var layer = nn.Linear(64, 16);
        using var x = randn(4, 64);
        using var exact = layer.forward(x);
        Tensor reduced;
        using (Autocast.Enter(ComputePrecision.Bf16)) reduced = Autocast.Linear(layer, x);
        using (reduced)
        {
            Assert.Equal(ScalarType.Float32, reduced.dtype);
            using var difference = (reduced - exact).abs().max();
            var worst = difference.item<float>();
            _output.WriteLine($"largest |bf16 - fp32| of a 64-wide product of unit normals: {worst:E2}");
            Assert.InRange(worst, 1e-6, 0.25);   // rounded (not bit-equal), and close
            using var loss = reduced.sum();
            loss.backward();
        }
        Assert.Equal(ScalarType.Float32, layer.weight!.grad!.dtype);
        Assert.True(layer.weight.grad.isfinite().all().item<bool>());
    }

    /// <summary>
    /// A BERT under bf16 autocast: MLM loss close to fp32's, every parameter gradient fp32 and
    /// finite, and a padding mask (whose fp32 minimum would round to -inf in bf16) leaves no NaN.
    /// </summary>
    [Fact]
    public void Bf16BertLossIsCloseToFp32AndGradientsStayFp32()
    {
        using var model = TinyModels.MaskedLm(initSeed: 5);
        model.eval();
        var batch = TinyModels.MlmBatch(TinyModels.Sequences(6, 3), 0, 3);
        using (var firstRows = batch.AttentionMask!.narrow(0, 0, 3))
        using (var paddedTail = firstRows.narrow(1, 7, 3))
            paddedTail.zero_();   // three rows padded after position 7
        using var fp32Loss = model.Forward(batch).Loss!;
        Tensor bf16Loss;
        using (Autocast.Enter(ComputePrecision.Bf16)) bf16Loss = model.Forward(batch).Loss!;
        using (bf16Loss)
        {
            Assert.Equal(ScalarType.Float32, bf16Loss.dtype);
            var a = fp32Loss.item<float>();
            var b = bf16Loss.item<float>();
            _output.WriteLine($"MLM loss fp32 {a:F5}, bf16 {b:F5}");
            Assert.True(float.IsFinite(b));
            Assert.NotEqual(a, b);
            Assert.InRange(Math.Abs(a - b) / a, 0, 0.02);
            bf16Loss.backward();
        }
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.grad is not { } g) continue;
            Assert.Equal(ScalarType.Float32, g.dtype);
            Assert.True(g.isfinite().all().item<bool>(), $"{name}: non-finite gradient under bf16");
        }
    }

    [Fact]
    public void RecipeKeyBindsToTheTrainingLoop()
    {
        var recipe = Recipe.Parse("training:\n  precision: bf16\n", "inline.yaml");
        Assert.Equal(ComputePrecision.Bf16, recipe.Section<TrainingOptions>("training").Precision);
        var bad = Assert.Throws<Acclimate.Errors.ConfigException>(() => Recipe.Parse("training:\n  precision: fp16\n", "inline.yaml").Section<TrainingOptions>("training"));
        Assert.Contains("fp32, bf16", bad.Message);
    }
}
