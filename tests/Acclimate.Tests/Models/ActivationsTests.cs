using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Models;

public sealed class ActivationsTests
{
    public ActivationsTests() => TorchRuntime.EnsureInitialized();

    // Reference values: gelu(x) = x·Φ(x); gelu_new(x) = 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), computed by hand.
    [Theory]
    [InlineData("gelu", 1.0, 0.8413447460685429)]
    [InlineData("gelu", -2.0, -0.04550026389635842)]
    [InlineData("gelu_new", 1.0, 0.8411919906082768)]
    [InlineData("gelu_new", -2.0, -0.04540230591222)]
    [InlineData("relu", -2.0, 0.0)]
    [InlineData("relu", 3.0, 3.0)]
    public void MatchesHandComputedValues(string name, double x, double expected)
    {
        using var input = tensor(new[] { x }, ScalarType.Float64);
        using var output = Activations.Get(name)(input);
        Assert.Equal(expected, output.item<double>(), 1e-9);
    }

    [Fact]
    public void UnknownActivationIsAConfigError()
    {
        var e = Assert.Throws<ConfigException>(() => Activations.Get("mish", "x/config.json"));
        Assert.Contains("x/config.json", e.Message);
        Assert.Contains("'mish'", e.Message);
    }
}
