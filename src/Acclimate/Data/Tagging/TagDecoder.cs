using Acclimate.Errors;

namespace Acclimate.Data.Tagging;

/// <summary>Turns one sentence's tags into entity spans.</summary>
public static class TagDecoder
{
    /// <summary>
    /// Decodes the tags of one sentence written in <paramref name="scheme"/>. With
    /// <see cref="TagReading.Strict"/> an illegal sequence (see <see cref="TagTransitions"/>) throws a
    /// <see cref="DataException"/> naming the index; with <see cref="TagReading.Lenient"/> it is repaired.
    /// A tag whose prefix the scheme lacks always throws.
    /// </summary>
    public static IReadOnlyList<EntitySpan> Decode(IReadOnlyList<string> tags, TaggingScheme scheme, TagReading reading = TagReading.Lenient)
    {
        var parsed = TaggingSchemes.ParseSequence(tags, scheme);
        if (reading == TagReading.Strict) ThrowIfIllegal(parsed, scheme);
        return DecodeParsed(parsed);
    }

    /// <summary>Throws a <see cref="DataException"/> at the first tag that breaks the rules of <paramref name="scheme"/>.</summary>
    public static void Validate(IReadOnlyList<string> tags, TaggingScheme scheme) =>
        ThrowIfIllegal(TaggingSchemes.ParseSequence(tags, scheme), scheme);

    /// <summary>True when the tags are a legal sentence of <paramref name="scheme"/>; otherwise <paramref name="problem"/> says why.</summary>
    public static bool IsLegal(IReadOnlyList<string> tags, TaggingScheme scheme, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var parsed = new Tag[tags.Count];
        for (var i = 0; i < tags.Count; i++)
        {
            if (!Tag.TryParse(tags[i], out parsed[i]) || !TaggingSchemes.Allows(scheme, parsed[i].Prefix))
            {
                problem = $"tag at index {i} '{tags[i]}' is not a {scheme} tag (prefixes {TaggingSchemes.PrefixList(scheme)}).";
                return false;
            }
        }
        problem = FindIllegal(parsed, scheme);
        return problem is null;
    }

    private static void ThrowIfIllegal(Tag[] tags, TaggingScheme scheme)
    {
        var problem = FindIllegal(tags, scheme);
        if (problem is not null) throw new DataException(problem);
    }

    private static string? FindIllegal(Tag[] tags, TaggingScheme scheme)
    {
        if (tags.Length == 0) return null;
        if (!TagTransitions.CanStart(scheme, tags[0]))
            return $"tag at index 0 '{tags[0]}' cannot open a sentence in {scheme}: expected one of {Candidates(scheme, tags[0].Type, t => TagTransitions.CanStart(scheme, t))}.";
        for (var i = 1; i < tags.Length; i++)
        {
            var prev = tags[i - 1];
            if (!TagTransitions.IsAllowed(scheme, prev, tags[i]))
                return $"tag at index {i} '{tags[i]}' cannot follow '{prev}' in {scheme}: expected one of {Candidates(scheme, tags[i].Type, t => TagTransitions.IsAllowed(scheme, prev, t))}.";
        }
        var last = tags[^1];
        if (!TagTransitions.CanEnd(scheme, last))
            return $"tag at index {tags.Length - 1} '{last}' cannot close a sentence in {scheme}: expected one of {Candidates(scheme, last.Type, t => TagTransitions.CanEnd(scheme, t))}.";
        return null;
    }

    // The tags of the offending token's type that would have been legal, to say what was expected.
    private static string Candidates(TaggingScheme scheme, string type, Func<Tag, bool> legal) =>
        string.Join(", ", TaggingSchemes.Prefixes(scheme)
            .Select(p => p == TagPrefix.O ? Tag.Outside : new Tag(p, type))
            .Where(legal)
            .Select(t => $"'{t}'"));

    // One reading that is right for every scheme on legal input, because each prefix means the same
    // wherever it occurs: B/S/U open, E/L/S/U close, I continues an open entity of its type. On
    // illegal input it repairs like conlleval.
    internal static IReadOnlyList<EntitySpan> DecodeParsed(IReadOnlyList<Tag> tags)
    {
        var spans = new List<EntitySpan>();
        var openStart = -1;
        var openType = "";
        void Close(int end)
        {
            if (openStart >= 0) spans.Add(new EntitySpan(openType, openStart, end));
            openStart = -1;
        }
        for (var i = 0; i < tags.Count; i++)
        {
            var tag = tags[i];
            var continues = openStart >= 0 && openType == tag.Type;
            switch (tag.Prefix)
            {
                case TagPrefix.O:
                    Close(i);
                    break;
                case TagPrefix.B:
                    Close(i);
                    openStart = i;
                    openType = tag.Type;
                    break;
                case TagPrefix.I or TagPrefix.M:
                    if (!continues)
                    {
                        Close(i);
                        openStart = i;
                        openType = tag.Type;
                    }
                    break;
                case TagPrefix.E or TagPrefix.L:
                    if (!continues)
                    {
                        Close(i);
                        openStart = i;
                        openType = tag.Type;
                    }
                    Close(i + 1);
                    break;
                case TagPrefix.S or TagPrefix.U:
                    Close(i);
                    spans.Add(new EntitySpan(tag.Type, i, i + 1));
                    break;
            }
        }
        Close(tags.Count);
        return spans;
    }
}
