namespace Acclimate.Tokenization;

/// <summary>Which sequence loses tokens when an encoding exceeds <see cref="EncodeOptions.MaxLength"/> (HuggingFace's strategies).</summary>
public enum TruncationStrategy
{
    /// <summary>Take tokens from the longer sequence first, so a pair ends up as balanced as possible.</summary>
    LongestFirst,

    /// <summary>Only truncate the first sequence; fails if it cannot absorb the whole excess.</summary>
    OnlyFirst,

    /// <summary>Only truncate the second sequence; fails if there is none or it cannot absorb the whole excess.</summary>
    OnlySecond,
}
