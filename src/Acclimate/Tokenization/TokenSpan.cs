namespace Acclimate.Tokenization;

/// <summary>
/// A token's span [<see cref="Start"/>, <see cref="End"/>) in UTF-16 code units of the text it came
/// from (the first text, or the pair text for tokens whose sequence id is 1). Special tokens added
/// by the tokenizer have (0, 0).
/// </summary>
public readonly record struct TokenSpan(int Start, int End)
{
    /// <summary>Number of UTF-16 code units covered.</summary>
    public int Length => End - Start;
}
