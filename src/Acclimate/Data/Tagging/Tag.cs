using Acclimate.Errors;

namespace Acclimate.Data.Tagging;

/// <summary>
/// A parsed tag: a <see cref="TagPrefix"/> and an entity type. <c>B-GPE-LOC</c> is (B, "GPE-LOC"): only
/// the first <c>-</c> separates. A bare prefix such as <c>B</c> has the empty type, and so does <c>O</c>.
/// </summary>
/// <param name="Prefix">Position of the token in its entity.</param>
/// <param name="Type">Entity type; empty for <c>O</c> and for bare prefixes.</param>
public readonly record struct Tag(TagPrefix Prefix, string Type)
{
    /// <summary>The tag <c>O</c>.</summary>
    public static Tag Outside { get; } = new(TagPrefix.O, "");

    /// <summary>True for <c>O</c>.</summary>
    public bool IsOutside => Prefix == TagPrefix.O;

    /// <summary>
    /// Reads <c>O</c>, a bare prefix (<c>B</c>) or <c>PREFIX-TYPE</c>; throws <see cref="DataException"/>
    /// for anything else.
    /// </summary>
    public static Tag Parse(string text)
    {
        if (TryParse(text, out var tag)) return tag;
        throw new DataException(
            $"'{text}' is not a tag: expected 'O', or one of the prefixes B, I, E, S, L, U, M alone or followed by '-' and a type (e.g. 'B-PER').");
    }

    /// <summary>Like <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse(string? text, out Tag tag)
    {
        tag = default;
        if (string.IsNullOrEmpty(text)) return false;
        if (text == "O")
        {
            tag = Outside;
            return true;
        }
        TagPrefix prefix;
        switch (text[0])
        {
            case 'B': prefix = TagPrefix.B; break;
            case 'I': prefix = TagPrefix.I; break;
            case 'E': prefix = TagPrefix.E; break;
            case 'S': prefix = TagPrefix.S; break;
            case 'L': prefix = TagPrefix.L; break;
            case 'U': prefix = TagPrefix.U; break;
            case 'M': prefix = TagPrefix.M; break;
            default: return false;
        }
        if (text.Length == 1)
        {
            tag = new Tag(prefix, "");
            return true;
        }
        // "B-" with nothing after it is a truncated tag, not a typeless one: reject it.
        if (text[1] != '-' || text.Length == 2) return false;
        tag = new Tag(prefix, text[2..]);
        return true;
    }

    /// <summary>The tag as written: <c>O</c>, <c>B</c> or <c>B-PER</c>.</summary>
    public override string ToString() =>
        Prefix == TagPrefix.O ? "O" : Type.Length == 0 ? Prefix.ToString() : $"{Prefix}-{Type}";
}
