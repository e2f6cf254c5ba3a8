using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>Copies tensors to C# arrays.</summary>
internal static class TensorData
{
    /// <summary>
    /// The elements in row-major order. TorchSharp's <c>data&lt;T&gt;().ToArray()</c> throws on a
    /// tensor with zero elements (as a batch without words gives), so that case is handled here.
    /// </summary>
    public static T[] ToArray<T>(Tensor tensor) where T : unmanaged
    {
        if (tensor.numel() == 0) return Array.Empty<T>();
        using var cpu = tensor.cpu();
        using var contiguous = cpu.contiguous();
        return contiguous.data<T>().ToArray();
    }
}
