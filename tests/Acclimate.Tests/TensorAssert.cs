using static TorchSharp.torch;

namespace Acclimate.Tests;

/// <summary>Tensor comparisons for tests.</summary>
public static class TensorAssert
{
    /// <summary>True when both tensors have the same shape, dtype and bit pattern in every element.</summary>
    public static bool BitEqual(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var ca = a.detach().cpu().contiguous();
        using var cb = b.detach().cpu().contiguous();
        return ca.bytes.SequenceEqual(cb.bytes);
    }
}
