using Acclimate.Errors;

namespace Acclimate.Data.Tagging;

/// <summary>Names and prefix sets of the <see cref="TaggingScheme"/>s.</summary>
public static class TaggingSchemes
{
    /// <summary>All schemes, in declaration order.</summary>
    public static IReadOnlyList<TaggingScheme> All { get; } = Array.AsReadOnly(Enum.GetValues<TaggingScheme>());

    private static readonly IReadOnlyList<TagPrefix> IoPrefixes = Array.AsReadOnly<TagPrefix>([TagPrefix.O, TagPrefix.I]);
    private static readonly IReadOnlyList<TagPrefix> IobPrefixes = Array.AsReadOnly<TagPrefix>([TagPrefix.O, TagPrefix.B, TagPrefix.I]);
    private static readonly IReadOnlyList<TagPrefix> IoePrefixes = Array.AsReadOnly<TagPrefix>([TagPrefix.O, TagPrefix.I, TagPrefix.E]);
    private static readonly IReadOnlyList<TagPrefix> IobesPrefixes = Array.AsReadOnly<TagPrefix>([TagPrefix.O, TagPrefix.B, TagPrefix.I, TagPrefix.E, TagPrefix.S]);
    private static readonly IReadOnlyList<TagPrefix> BilouPrefixes = Array.AsReadOnly<TagPrefix>([TagPrefix.O, TagPrefix.B, TagPrefix.I, TagPrefix.L, TagPrefix.U]);
    private static readonly IReadOnlyList<TagPrefix> IobsPrefixes = Array.AsReadOnly<TagPrefix>([TagPrefix.O, TagPrefix.B, TagPrefix.I, TagPrefix.S]);
    private static readonly IReadOnlyList<TagPrefix> BmesPrefixes = Array.AsReadOnly<TagPrefix>([TagPrefix.O, TagPrefix.B, TagPrefix.M, TagPrefix.E, TagPrefix.S]);

    /// <summary>
    /// Reads a scheme name, ignoring case: the enum names plus the aliases <c>BIO</c> (IOB2),
    /// <c>BIOES</c> (IOBES), <c>BIOU</c>/<c>BILUO</c> (BILOU), <c>BIOS</c> (IOBS) and <c>BMEOS</c>/<c>BMESO</c> (BMES).
    /// </summary>
    public static TaggingScheme Parse(string name)
    {
        if (TryParse(name, out var scheme)) return scheme;
        throw new DataException(
            $"unknown tagging scheme '{name}': expected one of IO, IOB1, IOB2 (BIO), IOE1, IOE2, IOBES (BIOES), BILOU, IOBS, BMES (BMEOS).");
    }

    /// <summary>Like <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse(string? name, out TaggingScheme scheme)
    {
        scheme = default;
        switch (name?.Trim().ToUpperInvariant())
        {
            case "IO": scheme = TaggingScheme.IO; return true;
            case "IOB1": scheme = TaggingScheme.IOB1; return true;
            case "IOB2" or "BIO" or "IOB": scheme = TaggingScheme.IOB2; return true;
            case "IOE1": scheme = TaggingScheme.IOE1; return true;
            case "IOE2" or "IOE": scheme = TaggingScheme.IOE2; return true;
            case "IOBES" or "BIOES": scheme = TaggingScheme.IOBES; return true;
            case "BILOU" or "BILUO" or "BIOLU": scheme = TaggingScheme.BILOU; return true;
            case "IOBS" or "BIOS": scheme = TaggingScheme.IOBS; return true;
            case "BMES" or "BMEOS" or "BMESO": scheme = TaggingScheme.BMES; return true;
            default: return false;
        }
    }

    /// <summary>The prefixes a scheme uses, <c>O</c> first.</summary>
    public static IReadOnlyList<TagPrefix> Prefixes(TaggingScheme scheme) => scheme switch
    {
        TaggingScheme.IO => IoPrefixes,
        TaggingScheme.IOB1 or TaggingScheme.IOB2 => IobPrefixes,
        TaggingScheme.IOE1 or TaggingScheme.IOE2 => IoePrefixes,
        TaggingScheme.IOBES => IobesPrefixes,
        TaggingScheme.BILOU => BilouPrefixes,
        TaggingScheme.IOBS => IobsPrefixes,
        TaggingScheme.BMES => BmesPrefixes,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, null),
    };

    /// <summary>True when <paramref name="prefix"/> is one of the scheme's prefixes.</summary>
    public static bool Allows(TaggingScheme scheme, TagPrefix prefix) => Prefixes(scheme).Contains(prefix);

    /// <summary>
    /// Parses every tag of a sequence and checks its prefix belongs to the scheme. Errors name the
    /// index and the tag.
    /// </summary>
    public static Tag[] ParseSequence(IReadOnlyList<string> tags, TaggingScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var parsed = new Tag[tags.Count];
        for (var i = 0; i < tags.Count; i++)
        {
            if (!Tag.TryParse(tags[i], out var tag))
                throw new DataException(
                    $"tag at index {i} '{tags[i]}' is not a tag: expected 'O' or PREFIX-TYPE with a prefix of {scheme} ({PrefixList(scheme)}).");
            if (!Allows(scheme, tag.Prefix))
                throw new DataException(
                    $"tag at index {i} '{tags[i]}' has prefix {tag.Prefix}, which {scheme} does not use: expected one of {PrefixList(scheme)}.");
            parsed[i] = tag;
        }
        return parsed;
    }

    internal static string PrefixList(TaggingScheme scheme) => string.Join(", ", Prefixes(scheme));

    /// <summary>
    /// The tags seqeval reads for <paramref name="scheme"/>: unchanged, except BMES, whose M-X becomes
    /// I-X (its IOBES equivalent), so entity metrics are exactly seqeval's on the IOBES form.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> ForSeqeval(TaggingScheme? scheme, IReadOnlyList<IReadOnlyList<string>> sentences) =>
        scheme != TaggingScheme.BMES ? sentences
            : sentences.Select(s => (IReadOnlyList<string>)s.Select(t => t.Length > 0 && t[0] == 'M' && (t.Length == 1 || t[1] == '-') ? "I" + t[1..] : t).ToArray()).ToArray();

    /// <summary>The scheme seqeval's strict mode uses for <paramref name="scheme"/> (BMES: IOBES, after <see cref="ForSeqeval"/>).</summary>
    public static TaggingScheme ForSeqevalStrict(TaggingScheme scheme) => scheme == TaggingScheme.BMES ? TaggingScheme.IOBES : scheme;
}
