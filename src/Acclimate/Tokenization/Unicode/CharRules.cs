using System.Globalization;

namespace Acclimate.Tokenization.Unicode;

/// <summary>
/// Character classes exactly as HuggingFace tokenizers (Rust) define them, on code points. Kept in one
/// place so the normalizers and pre-tokenizers agree with each other. HF's BERT rules see Unicode 8.0
/// (the unicode_categories crate) and its StripAccents sees Unicode 9.0 (unicode-normalization-alignments):
/// characters assigned later have no category there, so these rules ignore them too.
/// </summary>
internal static class CharRules
{
    private const int BertUnicodeAge = 80;
    private const int NormalizationUnicodeAge = 90;
    /// <summary>Rust's <c>char::is_whitespace</c>: the Unicode White_Space property.</summary>
    public static bool IsWhitespace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary>BertNormalizer's whitespace: tab, newline and carriage return count even though they are controls.</summary>
    public static bool IsBertWhitespace(int cp) => cp is '\t' or '\n' or '\r' || IsWhitespace(cp);

    /// <summary>
    /// BertNormalizer's control: categories Cc, Cf, Co (and Cs) except tab, newline, carriage return.
    /// Unassigned code points (Cn) are kept: HF's unicode_categories tables list no Cn characters.
    /// </summary>
    public static bool IsBertControl(int cp)
    {
        if (cp is '\t' or '\n' or '\r')
        {
            return false;
        }
        return UnicodeTables.Age(cp) <= BertUnicodeAge
            && Category(cp) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse;
    }

    /// <summary>BertPreTokenizer's punctuation: every ASCII punctuation character (including $+&lt;=&gt;^`|~) or any Unicode P* category.</summary>
    public static bool IsBertPunctuation(int cp)
    {
        if (cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }
        if (cp is 0x166D or 0x111C9)
        {
            // Other punctuation in Unicode 8.0, recategorized later (So in 12.0, Mn in 11.0).
            return true;
        }
        return UnicodeTables.Age(cp) <= BertUnicodeAge && Category(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK ranges BertNormalizer pads with spaces (the original BERT definition, not all of Han).</summary>
    public static bool IsChineseChar(int cp) => cp switch
    {
        >= 0x4E00 and <= 0x9FFF => true,
        >= 0x3400 and <= 0x4DBF => true,
        >= 0x20000 and <= 0x2A6DF => true,
        >= 0x2A700 and <= 0x2B73F => true,
        >= 0x2B740 and <= 0x2B81F => true,
        >= 0x2B920 and <= 0x2CEAF => true,
        >= 0xF900 and <= 0xFAFF => true,
        >= 0x2F800 and <= 0x2FA1F => true,
        _ => false,
    };

    /// <summary>General category Mn (Unicode 8.0), which BertNormalizer's accent stripping removes after NFD.</summary>
    public static bool IsNonspacingMark(int cp) => cp switch
    {
        // Unicode 8.0 categories that changed later: Mn then, Mc now / Lo, Mc, Po then, Mn now.
        0x1734 or 0x1171E => true,
        0x1885 or 0x1886 or 0xA9BD or 0x111C9 => false,
        _ => UnicodeTables.Age(cp) <= BertUnicodeAge && Category(cp) == UnicodeCategory.NonSpacingMark,
    };

    /// <summary>Any mark (Mn, Mc, Me in Unicode 9.0): what the StripAccents normalizer removes (is_combining_mark).</summary>
    public static bool IsMark(int cp)
    {
        if (cp is 0x1CF2 or 0x1CF3)
        {
            // Spacing marks in Unicode 9.0, letters (Lo) since 10.0.
            return true;
        }
        if (cp == 0x111C9)
        {
            // Punctuation in Unicode 9.0, a mark since 11.0.
            return false;
        }
        return UnicodeTables.Age(cp) <= NormalizationUnicodeAge && Category(cp) is UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
    }

    /// <summary>Regex <c>\p{L}</c>.</summary>
    public static bool IsLetter(int cp) => Category(cp) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;

    /// <summary>Regex <c>\p{N}</c>.</summary>
    public static bool IsNumber(int cp) => Category(cp) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>Python's <c>str.isdigit</c> (Numeric_Type Digit or Decimal), used by the ALBERT vocabulary conversion.</summary>
    public static bool IsPythonDigit(int cp) =>
        cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF) && CharUnicodeInfo.GetDigitValue(char.ConvertFromUtf32(cp), 0) >= 0;

    public static UnicodeCategory Category(int cp) =>
        cp is >= 0xD800 and <= 0xDFFF ? UnicodeCategory.Surrogate : CharUnicodeInfo.GetUnicodeCategory(cp);
}
