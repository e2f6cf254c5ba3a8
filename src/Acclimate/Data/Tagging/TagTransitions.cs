using Acclimate.Errors;

namespace Acclimate.Data.Tagging;

/// <summary>
/// Which tag may follow which in a scheme, and which tags may open or close a sentence. The static
/// methods state the rules for two tags; an instance (<see cref="For"/>) is the same rules laid out
/// over a fixed label list, indexed like a model's label ids, so a CRF can forbid illegal moves.
/// </summary>
/// <remarks>
/// The rules describe the canonical form of each scheme, the one <see cref="TagEncoder"/> writes:
/// IOB1 puts B only after an entity of the same type, IOE1 puts E only before one, IOBS marks one-token
/// entities with S (so a B must be followed by its I), IO is always legal.
/// </remarks>
public sealed class TagTransitions
{
    private readonly bool[,] allowed;
    private readonly bool[] canStart;
    private readonly bool[] canEnd;

    private TagTransitions(TaggingScheme scheme, IReadOnlyList<string> labels, Tag[] tags)
    {
        Scheme = scheme;
        Labels = labels;
        var n = tags.Length;
        allowed = new bool[n, n];
        canStart = new bool[n];
        canEnd = new bool[n];
        for (var i = 0; i < n; i++)
        {
            canStart[i] = CanStart(scheme, tags[i]);
            canEnd[i] = CanEnd(scheme, tags[i]);
            for (var j = 0; j < n; j++) allowed[i, j] = IsAllowed(scheme, tags[i], tags[j]);
        }
    }

    /// <summary>The scheme the table was built for.</summary>
    public TaggingScheme Scheme { get; }

    /// <summary>The labels, in the index order used by the instance methods.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>
    /// Builds the table for a label list such as a model's id-to-label map. Every label must parse
    /// and use a prefix of <paramref name="scheme"/>; duplicates are rejected.
    /// </summary>
    public static TagTransitions For(TaggingScheme scheme, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var tags = new Tag[labels.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Count; i++)
        {
            if (!Tag.TryParse(labels[i], out var tag) || !TaggingSchemes.Allows(scheme, tag.Prefix))
                throw new DataException(
                    $"label {i} '{labels[i]}' is not a {scheme} tag: expected 'O' or PREFIX-TYPE with a prefix of {TaggingSchemes.PrefixList(scheme)}.");
            if (!seen.Add(labels[i]))
                throw new DataException($"label {i} '{labels[i]}' appears twice in the label list.");
            tags[i] = tag;
        }
        return new TagTransitions(scheme, Array.AsReadOnly(labels.ToArray()), tags);
    }

    /// <summary>
    /// The full label list of a scheme for some entity types: <c>O</c>, then for each type (in the
    /// given order) its tags in the scheme's prefix order, e.g. IOB2 with PER, LOC gives
    /// <c>O B-PER I-PER B-LOC I-LOC</c>.
    /// </summary>
    public static IReadOnlyList<string> LabelsFor(TaggingScheme scheme, IEnumerable<string> types)
    {
        ArgumentNullException.ThrowIfNull(types);
        var labels = new List<string> { "O" };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            if (!seen.Add(type)) continue;
            foreach (var prefix in TaggingSchemes.Prefixes(scheme))
                if (prefix != TagPrefix.O) labels.Add(new Tag(prefix, type).ToString());
        }
        return labels;
    }

    /// <summary>True when label <paramref name="to"/> may directly follow label <paramref name="from"/>.</summary>
    public bool IsAllowed(int from, int to) => allowed[from, to];

    /// <summary>True when a sentence may open with the label.</summary>
    public bool IsAllowedStart(int label) => canStart[label];

    /// <summary>True when a sentence may close with the label.</summary>
    public bool IsAllowedEnd(int label) => canEnd[label];

    /// <summary>All allowed (from, to) pairs, row by row.</summary>
    public IEnumerable<(int From, int To)> AllowedPairs()
    {
        for (var i = 0; i < Labels.Count; i++)
            for (var j = 0; j < Labels.Count; j++)
                if (allowed[i, j]) yield return (i, j);
    }

    /// <summary>
    /// True when <paramref name="next"/> may directly follow <paramref name="prev"/> in
    /// <paramref name="scheme"/>. Both must use the scheme's prefixes.
    /// </summary>
    public static bool IsAllowed(TaggingScheme scheme, Tag prev, Tag next)
    {
        var same = prev.Type == next.Type;
        var p = prev.Prefix;
        var n = next.Prefix;
        switch (scheme)
        {
            case TaggingScheme.IO:
                // I-X I-Y is a type change (a new entity), I-X I-X one entity: everything is legal.
                return true;
            case TaggingScheme.IOB1:
                // B separates two adjacent entities of the same type, so it needs one right before it.
                return n != TagPrefix.B || ((p is TagPrefix.B or TagPrefix.I) && same);
            case TaggingScheme.IOB2:
                return n != TagPrefix.I || ((p is TagPrefix.B or TagPrefix.I) && same);
            case TaggingScheme.IOE1:
                // E closes an entity that is directly followed by another of the same type.
                return p != TagPrefix.E || ((n is TagPrefix.I or TagPrefix.E) && same);
            case TaggingScheme.IOE2:
                return p != TagPrefix.I || ((n is TagPrefix.I or TagPrefix.E) && same);
            case TaggingScheme.IOBES:
                return p is TagPrefix.B or TagPrefix.I
                    ? (n is TagPrefix.I or TagPrefix.E) && same
                    : n is TagPrefix.O or TagPrefix.B or TagPrefix.S;
            case TaggingScheme.BILOU:
                return p is TagPrefix.B or TagPrefix.I
                    ? (n is TagPrefix.I or TagPrefix.L) && same
                    : n is TagPrefix.O or TagPrefix.B or TagPrefix.U;
            case TaggingScheme.BMES:
                return p is TagPrefix.B or TagPrefix.M
                    ? (n is TagPrefix.M or TagPrefix.E) && same
                    : n is TagPrefix.O or TagPrefix.B or TagPrefix.S;
            case TaggingScheme.IOBS:
                // One-token entities are S, so B must go on to I; the end of B I... is not marked.
                if (p == TagPrefix.B) return n == TagPrefix.I && same;
                if (p == TagPrefix.I) return n == TagPrefix.I ? same : n is TagPrefix.O or TagPrefix.B or TagPrefix.S;
                return n is TagPrefix.O or TagPrefix.B or TagPrefix.S;
            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), scheme, null);
        }
    }

    /// <summary>True when a sentence may open with <paramref name="tag"/> in <paramref name="scheme"/>.</summary>
    public static bool CanStart(TaggingScheme scheme, Tag tag) => scheme switch
    {
        TaggingScheme.IO or TaggingScheme.IOE1 or TaggingScheme.IOE2 => true,
        TaggingScheme.IOB1 => tag.Prefix != TagPrefix.B,
        TaggingScheme.IOB2 => tag.Prefix != TagPrefix.I,
        TaggingScheme.IOBES or TaggingScheme.BILOU or TaggingScheme.IOBS or TaggingScheme.BMES => tag.Prefix is TagPrefix.O or TagPrefix.B or TagPrefix.S or TagPrefix.U,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, null),
    };

    /// <summary>True when a sentence may close with <paramref name="tag"/> in <paramref name="scheme"/>.</summary>
    public static bool CanEnd(TaggingScheme scheme, Tag tag) => scheme switch
    {
        TaggingScheme.IO or TaggingScheme.IOB1 or TaggingScheme.IOB2 => true,
        TaggingScheme.IOE1 => tag.Prefix != TagPrefix.E,
        TaggingScheme.IOE2 => tag.Prefix != TagPrefix.I,
        TaggingScheme.IOBES or TaggingScheme.BILOU or TaggingScheme.BMES => tag.Prefix is TagPrefix.O or TagPrefix.E or TagPrefix.S or TagPrefix.L or TagPrefix.U,
        TaggingScheme.IOBS => tag.Prefix != TagPrefix.B,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, null),
    };
}
