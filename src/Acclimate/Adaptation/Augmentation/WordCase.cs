namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// Gives a replacement the capitalisation of the word it replaces: lexicons and uncased vocabularies
/// return <c>canine</c> for <c>Dog</c> at the start of a sentence, which would read as a new word
/// boundary to a cased tagger.
/// </summary>
internal static class WordCase
{
    /// <summary><paramref name="replacement"/> with its first letter upper-cased when <paramref name="original"/>'s is.</summary>
    public static string Like(string original, string replacement)
    {
        if (original.Length == 0 || replacement.Length == 0) return replacement;
        if (!char.IsUpper(original[0]) || !char.IsLower(replacement[0])) return replacement;
        return char.ToUpperInvariant(replacement[0]) + replacement[1..];
    }

    /// <summary>True when the two spell the same word ignoring case.</summary>
    public static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the word has a letter (punctuation and numbers are not replaced).</summary>
    public static bool HasLetter(string word) => word.Any(char.IsLetter);
}
