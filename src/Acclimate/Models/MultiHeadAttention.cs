using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// The attention arithmetic shared by BERT-style and ALBERT-style attention blocks: split heads,
/// scaled dot-product attention with an additive padding mask, merge heads.
/// </summary>
public static class MultiHeadAttention
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
            ScalarType.BFloat16 => -3.3895313892515355e38,
            ScalarType.Float64 => double.MinValue,
            _ => float.MinValue,
        };
        return inverted * minValue;
    }

    /// <summary>query/key/value [batch, length, hidden] → context [batch, length, hidden].</summary>
    public static Tensor Compute(Tensor query, Tensor key, Tensor value, Tensor? additiveMask, int numHeads, double dropout, bool training)
    {
        var batch = query.shape[0];
        var length = query.shape[1];
        var hidden = query.shape[2];
        var headDim = hidden / numHeads;
        using var q = query.view(batch, length, numHeads, headDim).transpose(1, 2);
        using var k = key.view(batch, key.shape[1], numHeads, headDim).transpose(1, 2);
        using var v = value.view(batch, value.shape[1], numHeads, headDim).transpose(1, 2);
        using var context = nn.functional.scaled_dot_product_attention(q, k, v, additiveMask, training ? dropout : 0.0);
        using var merged = context.transpose(1, 2);
        return merged.reshape(batch, length, hidden);
    }
}
