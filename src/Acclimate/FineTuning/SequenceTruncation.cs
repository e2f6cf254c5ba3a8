using Acclimate.Errors;

namespace Acclimate.FineTuning;

/// <summary>Truncates sequence-classification inputs by head, tail or head+tail, keeping the special tokens.</summary>
internal static class SequenceTruncation
{
    /// <summary>
    /// prefix + kept content + suffix, at most <see cref="TruncationOptions.MaxLength"/> ids. Content
    /// that fits is kept whole. For head+tail the head count is what the options say and the tail
    /// takes the rest of the budget (max length − special tokens − head).
    /// </summary>
    public static TruncatedInput Truncate(IReadOnlyList<long> contentIds, TruncationOptions options, IReadOnlyList<long> prefix, IReadOnlyList<long> suffix)
    {
        ArgumentNullException.ThrowIfNull(contentIds);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        var budget = options.MaxLength - prefix.Count - suffix.Count;
        if (budget <= 0)
            throw new ConfigException($"truncation: {prefix.Count + suffix.Count} special tokens leave no room in {options.MaxLength} positions.");
        var n = contentIds.Count;
        int[] kept;
        if (n <= budget) kept = Enumerable.Range(0, n).ToArray();
        else
        {
            kept = options.Strategy switch
            {
                TruncationStrategy.Head => Enumerable.Range(0, budget).ToArray(),
                TruncationStrategy.Tail => Enumerable.Range(n - budget, budget).ToArray(),
                TruncationStrategy.HeadTail when options.HeadTokens > budget =>
                    throw new ConfigException($"truncation: head+tail keeps {options.HeadTokens} head tokens but only {budget} fit in {options.MaxLength} positions with {prefix.Count + suffix.Count} special tokens."),
                TruncationStrategy.HeadTail => Enumerable.Range(0, options.HeadTokens).Concat(Enumerable.Range(n - (budget - options.HeadTokens), budget - options.HeadTokens)).ToArray(),
                _ => throw new ConfigException($"truncation: unknown strategy {options.Strategy}."),
            };
        }
        var ids = new long[prefix.Count + kept.Length + suffix.Count];
        for (var i = 0; i < prefix.Count; i++) ids[i] = prefix[i];
        for (var i = 0; i < kept.Length; i++) ids[prefix.Count + i] = contentIds[kept[i]];
        for (var i = 0; i < suffix.Count; i++) ids[prefix.Count + kept.Length + i] = suffix[i];
        return new TruncatedInput(ids, kept);
    }
}
