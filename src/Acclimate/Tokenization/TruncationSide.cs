namespace Acclimate.Tokenization;

/// <summary>Which end of a sequence truncation removes tokens from.</summary>
public enum TruncationSide
{
    /// <summary>Keep the beginning, drop the end (HuggingFace's default).</summary>
    Right,

    /// <summary>Keep the end, drop the beginning.</summary>
    Left,
}
