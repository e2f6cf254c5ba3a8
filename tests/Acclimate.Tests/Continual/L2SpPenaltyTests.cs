using Acclimate.Continual;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Continual;

/// <summary>L2-SP: value and gradient by hand on tiny tensors; the encoder-only default.</summary>
public sealed class L2SpPenaltyTests
{
    public L2SpPenaltyTests() => TorchRuntime.EnsureInitialized();

    internal static nn.Module TinyLinear()
    {
        var linear = nn.Linear(3, 2);
        using var _ = no_grad();
        linear.weight!.copy_(tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 }));
        linear.bias!.copy_(tensor(new float[] { 0.5f, -0.5f }));
        return linear;
    }

    [Fact]
    public void PenaltyAndGradientEqualHandComputedValues()
    {
        using var module = TinyLinear();
        using var penalty = new L2SpPenalty(module, strength: 0.1, ParameterSelection.All);
        using var start = penalty.Compute();
        Assert.Equal(0f, start.item<float>());   // at the snapshot the penalty is zero

        var weight = module.named_parameters().Single(p => p.name == "weight").parameter;
        var bias = module.named_parameters().Single(p => p.name == "bias").parameter;
        using (no_grad())
        {
            weight.add_(tensor(new float[] { 1, 0, -2, 0, 0.5f, 0 }, new long[] { 2, 3 }));
            bias.add_(tensor(new float[] { 0, 3 }));
        }
        // λ·Σδ² = 0.1·(1 + 4 + 0.25 + 9) = 1.425
        using var value = penalty.Compute();
        Assert.Equal(1.425f, value.item<float>(), 1e-6f);
        value.backward();
        // ∂/∂θ = 2λ(θ − θ₀) = 0.2·δ
        Assert.Equal(new[] { 0.2f, 0, -0.4f, 0, 0.1f, 0 }, weight.grad!.data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Equal(new[] { 0f, 0.6f }, bias.grad!.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void SnapshotIsACopyNotAView()
    {
        using var module = TinyLinear();
        using var penalty = new L2SpPenalty(module, 1.0, ParameterSelection.All);
        using (no_grad()) foreach (var p in module.parameters()) p.mul_(2);
        using var value = penalty.Compute();
        // θ doubled: Σθ₀² = 1+4+9+16+25+36 + 0.25+0.25 = 91.5
        Assert.Equal(91.5f, value.item<float>(), 1e-4f);
    }

    [Fact]
    public void TaskModelsDefaultToTheEncoderOnly()
    {
        var config = EncoderConfig.Create(ModelType.Bert, 30, 8, 1, 2, 16, maxPositions: 16);
        using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
        using var penalty = new L2SpPenalty(model, 1.0);
        Assert.NotEmpty(penalty.ParameterNames);
        Assert.All(penalty.ParameterNames, n => Assert.StartsWith("bert.", n));
        Assert.Contains(model.named_parameters(), p => !p.name.StartsWith("bert.", StringComparison.Ordinal));   // heads exist, and are left out

        // Moving only a head parameter leaves the penalty at zero.
        var head = model.named_parameters().First(p => p.name.StartsWith("cls.", StringComparison.Ordinal)).parameter;
        using (no_grad()) head.add_(1.0);
        using var value = penalty.Compute();
        Assert.Equal(0f, value.item<float>());
        Assert.Throws<ConfigException>(() => new L2SpPenalty(model, -1.0));
    }
}

/// <summary>Element-wise float comparison for Assert.Equal on arrays.</summary>
internal sealed class FloatTolerance : IEqualityComparer<float>
{
    private readonly float _tolerance;
    public FloatTolerance(float tolerance) => _tolerance = tolerance;
    public bool Equals(float x, float y) => Math.Abs(x - y) <= _tolerance;
    public int GetHashCode(float obj) => 0;
}
