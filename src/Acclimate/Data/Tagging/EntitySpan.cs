namespace Acclimate.Data.Tagging;

/// <summary>An entity over tokens [<see cref="Start"/>, <see cref="End"/>) of one sentence.</summary>
/// <param name="Type">Entity type, e.g. <c>PER</c>; empty for bare tags such as <c>B</c>.</param>
/// <param name="Start">Index of the first token.</param>
/// <param name="End">Index one past the last token.</param>
public readonly record struct EntitySpan(string Type, int Start, int End)
{
    /// <summary>Number of tokens covered.</summary>
    public int Length => End - Start;

    /// <summary>For example <c>PER[0,2)</c>.</summary>
    public override string ToString() => $"{Type}[{Start},{End})";
}
