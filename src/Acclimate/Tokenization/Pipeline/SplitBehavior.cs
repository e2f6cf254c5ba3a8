namespace Acclimate.Tokenization.Pipeline;

/// <summary>What a pre-tokenizer split does with the delimiter it matched (HuggingFace's SplitDelimiterBehavior).</summary>
internal enum SplitBehavior
{
    /// <summary>Delimiters are dropped: "a-b" on '-' gives "a", "b".</summary>
    Removed,

    /// <summary>Delimiters become pieces of their own: "a-b" gives "a", "-", "b".</summary>
    Isolated,

    /// <summary>Delimiters start the following piece: "a-b" gives "a", "-b".</summary>
    MergedWithNext,
}
