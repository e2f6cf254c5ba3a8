namespace Acclimate.FineTuning;

/// <summary>A window over the content tokens (special tokens excluded): positions [Start, Start + Length).</summary>
/// <param name="Start">First content position.</param>
/// <param name="Length">Content tokens in the window.</param>
public readonly record struct TokenWindow(int Start, int Length)
{
    /// <summary>One past the last content position.</summary>
    public int End => Start + Length;

    /// <summary>
    /// How much context token <paramref name="position"/> has in this window: its distance to the
    /// nearer window edge (0 at the first and last token of the window).
    /// </summary>
    public int ContextOf(int position) => Math.Min(position - Start, End - 1 - position);

    /// <summary>True when <paramref name="position"/> lies in the window.</summary>
    public bool Contains(int position) => position >= Start && position < End;
}
