namespace Acclimate.Data.Corpora;

/// <summary>
/// The 15 Brown genres: file <c>cXnn</c> belongs to genre letter <c>X</c> (the package's CONTENTS file),
/// named as in the package's <c>cats.txt</c>.
/// </summary>
public static class BrownGenres
{
    /// <summary>Genre letter → category name, in the corpus's letter order.</summary>
    public static IReadOnlyList<KeyValuePair<char, string>> ByLetter { get; } = new KeyValuePair<char, string>[]
    {
        new('a', "news"),            // A. press: reportage
        new('b', "editorial"),       // B. press: editorial
        new('c', "reviews"),         // C. press: reviews
        new('d', "religion"),        // D. religion
        new('e', "hobbies"),         // E. skill and hobbies
        new('f', "lore"),            // F. popular lore
        new('g', "belles_lettres"),  // G. belles-lettres
        new('h', "government"),      // H. miscellaneous: government & house organs
        new('j', "learned"),         // J. learned
        new('k', "fiction"),         // K. fiction: general
        new('l', "mystery"),         // L. fiction: mystery
        new('m', "science_fiction"), // M. fiction: science
        new('n', "adventure"),       // N. fiction: adventure
        new('p', "romance"),         // P. fiction: romance
        new('r', "humor"),           // R. humor
    };

    /// <summary>The 15 genre names in letter order.</summary>
    public static IReadOnlyList<string> Names { get; } = ByLetter.Select(p => p.Value).ToArray();

    /// <summary>The genre of a document id such as <c>ca01</c>, or null when the id is not a Brown id.</summary>
    public static string? ForDocumentId(string id)
    {
        if (id.Length != 4 || id[0] != 'c' || !char.IsAsciiDigit(id[2]) || !char.IsAsciiDigit(id[3])) return null;
        foreach (var (letter, name) in ByLetter)
            if (letter == id[1]) return name;
        return null;
    }
}
