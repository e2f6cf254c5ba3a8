using System.Globalization;

namespace Acclimate.Tokenization.SentencePiece;

/// <summary>
/// Piece scores exactly as HuggingFace holds them after loading a Hub tokenizer.json: transformers
/// wrote each score with Python's shortest round-trip repr, and tokenizers reads it back with
/// serde_json's default (not round-trip exact) float parser, which computes digits ÷ 10^k in
/// double and so is often one ulp off. The unigram lattice has many exact ties on repeated text
/// ("nononono", "oooooooo"); those last-bit differences decide them, so we reproduce them.
/// </summary>
internal static class HubScoreRounding
{
    private static readonly double[] PowersOfTen = Enumerable.Range(0, 309)
        .Select(k => double.Parse("1e" + k.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))
        .ToArray();

    /// <summary>The value serde_json parses from the shortest decimal text of <paramref name="value"/>.</summary>
    public static double AsReadFromJson(double value)
    {
        if (value == 0 || !double.IsFinite(value))
        {
            return value;
        }
        // Shortest round-trip digits, as Python's repr writes them.
        string text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int exponent = 0;
        int e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        int dot = text.IndexOf('.');
        if (dot >= 0)
        {
            exponent -= text.Length - dot - 1;
            text = text.Remove(dot, 1);
        }
        ulong significand = ulong.Parse(text, CultureInfo.InvariantCulture);
        double f = significand;
        while (exponent < -308)
        {
            // serde_json divides by 1e308 while the exponent is out of its table.
            f /= 1e308;
            exponent += 308;
        }
        f = exponent >= 0 ? f * PowersOfTen[exponent] : f / PowersOfTen[-exponent];
        return value < 0 ? -f : f;
    }
}
