namespace Acclimate.FineTuning;

/// <summary>How the encoder's hidden states become the head's token features.</summary>
public enum LayerFusion
{
    /// <summary>The last layer's hidden states.</summary>
    Last,
    /// <summary>The mean of the last k layers.</summary>
    Mean,
    /// <summary>The last k layers concatenated (feature width k × hidden).</summary>
    Concat,
    /// <summary>A learned softmax-weighted sum of the last k layers, scaled by a learned gamma (ELMo's scalar mix).</summary>
    ScalarMix,
}
