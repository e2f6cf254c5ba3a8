using Acclimate.Errors;

namespace Acclimate.FineTuning;

/// <summary>
/// How to fit a classification input into <see cref="MaxLength"/> positions, special tokens
/// included. <see cref="HeadTokens"/> is used by <see cref="TruncationStrategy.HeadTail"/> only.
/// </summary>
public sealed record TruncationOptions
{
    public TruncationOptions(TruncationStrategy strategy, int maxLength, int headTokens = 128)
    {
        if (maxLength <= 0) throw new ConfigException($"truncation: max length must be positive; got {maxLength}.");
        if (headTokens < 0) throw new ConfigException($"truncation: head tokens must not be negative; got {headTokens}.");
        if (!Enum.IsDefined(strategy)) throw new ConfigException($"truncation: unknown strategy {strategy}.");
        Strategy = strategy;
        MaxLength = maxLength;
        HeadTokens = headTokens;
    }

    public TruncationStrategy Strategy { get; }
    public int MaxLength { get; }
    public int HeadTokens { get; }
}
