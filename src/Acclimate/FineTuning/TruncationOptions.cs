using Acclimate.Errors;

namespace Acclimate.FineTuning;

/// <summary>
/// How to fit a classification input into <see cref="MaxLength"/> positions, special tokens
/// included. <see cref="HeadTokens"/> is used by <see cref="TruncationStrategy.HeadTail"/> only.
/// </summary>
public sealed record TruncationOptions
{
    /// <summary>Validated truncation settings.</summary>
    /// <param name="strategy">Which tokens survive.</param>
    /// <param name="maxLength">Longest input in tokens, special tokens included.</param>
    /// <param name="headTokens">head_tail: tokens kept from the start (the rest from the end).</param>
    public TruncationOptions(TruncationStrategy strategy, int maxLength, int headTokens = 128)
    {
        if (maxLength <= 0) throw new ConfigException($"truncation: max length must be positive; got {maxLength}.");
        if (headTokens < 0) throw new ConfigException($"truncation: head tokens must not be negative; got {headTokens}.");
        if (!Enum.IsDefined(strategy)) throw new ConfigException($"truncation: unknown strategy {strategy}.");
        Strategy = strategy;
        MaxLength = maxLength;
        HeadTokens = headTokens;
    }

    /// <summary>Which tokens survive (head, tail, head_tail).</summary>
    public TruncationStrategy Strategy { get; }
    /// <summary>Longest input in tokens, special tokens included.</summary>
    public int MaxLength { get; }
    /// <summary>head_tail: tokens kept from the start.</summary>
    public int HeadTokens { get; }
}
