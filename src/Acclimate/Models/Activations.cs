using Acclimate.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>The activation functions HF configs name in <c>hidden_act</c>, computed as HF computes them.</summary>
internal static class Activations
{
    private static readonly double TanhGeluScale = Math.Sqrt(2.0 / Math.PI);

    /// <summary>Returns the function for <paramref name="name"/>; <paramref name="where"/> names the config in errors.</summary>
    public static Func<Tensor, Tensor> Get(string name, string where = "config") => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        // HF's NewGELUActivation / gelu_fast: the tanh approximation, written out as HF writes it so
        // the float rounding matches.
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh,
        "gelu_fast" => x => 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x))),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        "tanh" => x => torch.tanh(x),
        _ => throw new ConfigException($"{where}: hidden_act '{name}' is not supported (expected gelu, gelu_new, gelu_fast, relu, silu or tanh)."),
    };

    private static Tensor GeluTanh(Tensor x) =>
        0.5 * x * (1.0 + torch.tanh(TanhGeluScale * (x + 0.044715 * torch.pow(x, 3.0))));
}
