using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Runtime;

/// <summary>The number format of the encoder's matrix products (recipe key <c>training.precision</c>).</summary>
public enum ComputePrecision
{
    /// <summary>Everything in fp32 (the default; bit-for-bit what the models did before mixed precision).</summary>
    Fp32,
    /// <summary>
    /// Mixed precision: the linear projections and attention run in bfloat16, while the weights
    /// (the optimizer's master copy), residual sums, LayerNorm, softmax outside attention and the
    /// losses stay fp32. On CPUs with AVX512-BF16 or AMX libtorch's oneDNN path multiplies bf16
    /// several times faster than fp32; elsewhere it is emulated and slower.
    /// </summary>
    Bf16,
}

/// <summary>
/// A scoped, per-thread switch for mixed precision, the part of PyTorch's <c>torch.autocast</c>
/// an encoder needs (TorchSharp 0.107 has no autocast). Model code routes its matrix products
/// through <c>Linear</c> and <see cref="ToCompute"/>; with no scope open (or an fp32 one)
/// they are the plain fp32 operations. The casts sit inside the autograd graph, so gradients reach
/// the fp32 parameters as fp32 and the optimizer never sees a bf16 tensor.
/// </summary>
public static class Autocast
{
    [ThreadStatic] private static ComputePrecision _current;
    [ThreadStatic] private static bool _roundTrips;

    /// <summary>The precision model code on this thread computes in right now.</summary>
    public static ComputePrecision Current => _current;

    /// <summary>True when matrix products on this thread run in a reduced format.</summary>
    public static bool IsReduced => _current != ComputePrecision.Fp32;

    /// <summary>Computes in <paramref name="precision"/> on this thread until the returned scope is disposed.</summary>
    public static IDisposable Enter(ComputePrecision precision)
    {
        var previous = _current;
        _current = precision;
        return new Scope(previous);
    }

    /// <summary>The tensor dtype of the reduced products (<see cref="ScalarType.Float32"/> in fp32 mode).</summary>
    public static ScalarType ComputeType => _current switch
    {
        ComputePrecision.Bf16 => ScalarType.BFloat16,
        _ => ScalarType.Float32,
    };

    /// <summary>
    /// <paramref name="layer"/> applied to <paramref name="input"/>: in fp32 mode exactly
    /// <c>layer.forward(input)</c>; in bf16 mode input (unless it is bf16 already, as attention's
    /// output is), weight and bias are cast to bf16, multiplied, and the result cast back to the
    /// weight's dtype so residual paths and LayerNorm stay fp32.
    /// </summary>
    public static Tensor Linear(Linear layer, Tensor input)
    {
        if (!Reduces(input)) return layer.forward(input);
        return Linear(input, layer.weight ?? throw new InvalidOperationException("a Linear layer without a weight"), layer.bias);
    }

    /// <summary><c>nn.functional.linear(input, weight, bias)</c> under the current precision, as <see cref="Linear(TorchSharp.Modules.Linear, Tensor)"/> does.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias)
    {
        if (!Reduces(input)) return nn.functional.linear(input, weight, bias);
        using var y = LinearInCompute(input, weight, bias);
        return y.dtype == weight.dtype ? y.alias() : y.to_type(weight.dtype);
    }

    /// <summary>
    /// <paramref name="layer"/> applied to <paramref name="input"/>, the result left in the compute
    /// dtype: in fp32 mode exactly <c>layer.forward(input)</c>; in bf16 mode the bf16 product itself,
    /// for a consumer that computes in bf16 anyway (attention's query, key and value), so the value
    /// does not go to fp32 and straight back. The result is the same bf16 tensor the fp32 round trip
    /// would give (bf16 → fp32 → bf16 is exact), in value and in gradient.
    /// </summary>
    public static Tensor LinearInCompute(Linear layer, Tensor input)
    {
        if (!Reduces(input)) return layer.forward(input);
        if (_roundTrips)
        {
            using var widened = Linear(layer, input);
            return ToCompute(widened);
        }
        return LinearInCompute(input, layer.weight ?? throw new InvalidOperationException("a Linear layer without a weight"), layer.bias);
    }

    private static Tensor LinearInCompute(Tensor input, Tensor weight, Tensor? bias)
    {
        if (!Reduces(input)) return nn.functional.linear(input, weight, bias);
        using var x = input.dtype == ComputeType ? input.alias() : input.to_type(ComputeType);
        using var w = weight.dtype == ComputeType ? weight.alias() : weight.to_type(ComputeType);
        using var b = bias is null ? null : bias.dtype == ComputeType ? bias.alias() : bias.to_type(ComputeType);
        return nn.functional.linear(x, w, b);
    }

    /// <summary>True when a product with <paramref name="input"/> runs in the reduced dtype: a reduced scope is open and the input is fp32 or already in the compute dtype.</summary>
    private static bool Reduces(Tensor input) => IsReduced && (input.dtype == ScalarType.Float32 || input.dtype == ComputeType);

    /// <summary>
    /// <paramref name="input"/> in the compute dtype (a new handle either way, so callers can
    /// dispose it uniformly): a bf16 copy in bf16 mode, an alias of the same storage in fp32 mode.
    /// </summary>
    public static Tensor ToCompute(Tensor input) =>
        IsReduced && input.dtype == ScalarType.Float32 ? input.to_type(ComputeType) : input.alias();

    /// <summary>
    /// For tests: until the returned scope is disposed, bf16 products on this thread take the fp32
    /// round trips the code had before issue 24 (query, key, value and attention's context cast to
    /// fp32 and back), so a test can check in one process that leaving them out changes no bit.
    /// </summary>
    internal static IDisposable WithFp32RoundTrips()
    {
        var previous = _roundTrips;
        _roundTrips = true;
        return new RoundTripScope(previous);
    }

    /// <summary>True inside <see cref="WithFp32RoundTrips"/>.</summary>
    internal static bool Fp32RoundTrips => _roundTrips;

    private sealed class RoundTripScope(bool previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _roundTrips = previous;
        }
    }

    private sealed class Scope(ComputePrecision previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _current = previous;
        }
    }
}
