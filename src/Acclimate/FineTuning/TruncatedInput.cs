namespace Acclimate.FineTuning;

/// <summary>
/// A truncated model input: the ids with the special tokens, and which content tokens (indices into
/// the original content) were kept, in order.
/// </summary>
internal sealed record TruncatedInput(long[] InputIds, int[] KeptContentIndices)
{
    /// <summary>Whether any content token was dropped.</summary>
    public bool WasTruncated(int contentLength) => KeptContentIndices.Length < contentLength;
}
