using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// The attention arithmetic shared by BERT-style and ALBERT-style attention blocks: split heads,
/// scaled dot-product attention with an additive padding mask, merge heads.
/// </summary>
internal static class MultiHeadAttention
{
    /// <summary>
    /// Turns a [batch, length] 0/1 attention mask into the additive [batch, 1, 1, length] mask
    /// SDPA takes: 0 where attended, the dtype's most negative value where masked (as HF does).
    /// </summary>
    public static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        using var expanded = attentionMask.unsqueeze(1).unsqueeze(2).to(dtype);
        using var inverted = 1.0 - expanded;
        var minValue = dtype switch
        {
            ScalarType.Float16 => -65504.0,
            ScalarType.BFloat16 => BFloat16Lowest,
            ScalarType.Float64 => double.MinValue,
            _ => float.MinValue,
        };
        return inverted * minValue;
    }

    private const double BFloat16Lowest = -3.3895313892515355e38;

    /// <summary>query/key/value [batch, length, hidden] → context [batch, length, hidden].</summary>
    public static Tensor Compute(Tensor query, Tensor key, Tensor value, Tensor? additiveMask, int numHeads, double dropout, bool training)
    {
        var batch = query.shape[0];
        var length = query.shape[1];
        var hidden = query.shape[2];
        var headDim = hidden / numHeads;
        // Under bf16 autocast the two attention products run in bf16 (SDPA accumulates its softmax in
        // fp32 internally); query, key and value arrive in bf16 already (Autocast.LinearInCompute).
        // The mask is clamped to bf16's range first, since fp32's most negative value would round to -inf.
        using var qc = Autocast.ToCompute(query);
        using var kc = Autocast.ToCompute(key);
        using var vc = Autocast.ToCompute(value);
        using var mask = additiveMask is null ? null : MaskInComputeType(additiveMask);
        using var q = qc.view(batch, length, numHeads, headDim).transpose(1, 2);
        using var k = kc.view(batch, key.shape[1], numHeads, headDim).transpose(1, 2);
        using var v = vc.view(batch, value.shape[1], numHeads, headDim).transpose(1, 2);
        using var context = nn.functional.scaled_dot_product_attention(q, k, v, mask, training ? dropout : 0.0);
        using var merged = context.transpose(1, 2);
        using var reshaped = merged.reshape(batch, length, hidden);
        // The context leaves in the dtype the projections came in: bf16 under bf16 autocast (the
        // output projection multiplies in bf16 anyway), fp32 otherwise.
        var resultType = Autocast.Fp32RoundTrips && query.dtype == Autocast.ComputeType ? ScalarType.Float32 : query.dtype;
        return reshaped.dtype == resultType ? reshaped.alias() : reshaped.to_type(resultType);
    }

    private static Tensor MaskInComputeType(Tensor additiveMask)
    {
        if (!Autocast.IsReduced || additiveMask.dtype == Autocast.ComputeType) return additiveMask.alias();
        using var clamped = additiveMask.clamp_min(BFloat16Lowest);
        return clamped.to_type(Autocast.ComputeType);
    }
}
