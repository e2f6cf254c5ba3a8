namespace Acclimate.Tokenization;

/// <summary>How <see cref="ITextTokenizer.Encode"/> builds an encoding. Validated when set.</summary>
public sealed record EncodeOptions
{
    private readonly int? _maxLength;

    /// <summary>Default options: special tokens added, no truncation.</summary>
    public static EncodeOptions Default { get; } = new();

    /// <summary>Add the model's special tokens ([CLS] … [SEP], &lt;s&gt; … &lt;/s&gt;). Default true.</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>
    /// Maximum number of tokens in the result, special tokens included; null (default) means no limit.
    /// Encoding fails when the limit cannot be met (smaller than the special tokens, or the chosen
    /// strategy cannot remove enough).
    /// </summary>
    public int? MaxLength
    {
        get => _maxLength;
        init => _maxLength = value is < 0
            ? throw new ArgumentOutOfRangeException(nameof(MaxLength), value, "MaxLength must be zero or more.")
            : value;
    }

    /// <summary>Which sequence to shorten when over <see cref="MaxLength"/>. Default <see cref="TruncationStrategy.LongestFirst"/>.</summary>
    public TruncationStrategy Truncation { get; init; } = TruncationStrategy.LongestFirst;

    /// <summary>Which end of a sequence to cut. Default <see cref="TruncationSide.Right"/>.</summary>
    public TruncationSide TruncationSide { get; init; } = TruncationSide.Right;
}
