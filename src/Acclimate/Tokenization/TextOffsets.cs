namespace Acclimate.Tokenization;

/// <summary>
/// Converts UTF-16 offsets (how .NET strings index) into Unicode code point offsets (how Python and
/// HuggingFace's JSON outputs index). They differ only after a character outside the BMP.
/// </summary>
public static class TextOffsets
{
    /// <summary>Code point index of UTF-16 index <paramref name="utf16Index"/> in <paramref name="text"/>.</summary>
    public static int ToCodePointIndex(string text, int utf16Index)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (utf16Index < 0 || utf16Index > text.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(utf16Index), utf16Index, $"Index must be within 0..{text.Length}.");
        }
        int count = 0;
        for (int i = 0; i < utf16Index; i++)
        {
            // The low half of a surrogate pair does not start a new code point.
            if (!(char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1])))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>The code point span of UTF-16 span <paramref name="span"/> in <paramref name="text"/>.</summary>
    public static TokenSpan ToCodePoints(string text, TokenSpan span) =>
        new(ToCodePointIndex(text, span.Start), ToCodePointIndex(text, span.End));
}
