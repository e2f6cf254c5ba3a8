namespace Acclimate.Training;

/// <summary>
/// HF's rule for which parameters get no weight decay: biases and LayerNorm parameters (HF's
/// Trainer excludes every parameter of a LayerNorm module and every name containing "bias"; the
/// classic BERT recipe lists <c>["bias", "LayerNorm.weight"]</c>). Decided by name, so it applies to
/// saved optimizer layouts as well as to live modules.
/// </summary>
internal static class WeightDecayRule
{
    /// <summary>True when <paramref name="parameterName"/> (a dotted state-dict name) must not decay.</summary>
    public static bool IsExempt(string parameterName)
    {
        ArgumentNullException.ThrowIfNull(parameterName);
        var segments = parameterName.Split('.');
        var leaf = segments[^1];
        if (leaf.Contains("bias", StringComparison.OrdinalIgnoreCase)) return true;
        // The module holding the parameter: LayerNorm (BERT), layer_norm (RoBERTa lm_head),
        // full_layer_layer_norm (ALBERT) all contain "layernorm" once underscores are dropped.
        if (segments.Length < 2) return false;
        var owner = segments[^2].Replace("_", "", StringComparison.Ordinal);
        return owner.Contains("layernorm", StringComparison.OrdinalIgnoreCase);
    }
}
