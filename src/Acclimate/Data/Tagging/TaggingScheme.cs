namespace Acclimate.Data.Tagging;

/// <summary>
/// A way of writing entity spans as one tag per token. Every scheme uses <c>O</c> for tokens outside
/// any entity and <c>PREFIX-TYPE</c> (e.g. <c>B-PER</c>) inside one; the schemes differ in which
/// prefixes exist and where they go. BIO is <see cref="IOB2"/>, BIOES is <see cref="IOBES"/>; see
/// <see cref="TaggingSchemes.Parse"/> for the accepted names.
/// </summary>
public enum TaggingScheme
{
    /// <summary><c>I</c> on every entity token. Cannot separate two adjacent entities of the same type.</summary>
    IO,

    /// <summary><c>I</c> on entity tokens; <c>B</c> only on the first token of an entity that directly follows one of the same type (CoNLL-2003 original).</summary>
    IOB1,

    /// <summary>BIO: <c>B</c> on the first token of every entity, <c>I</c> on the rest.</summary>
    IOB2,

    /// <summary><c>I</c> on entity tokens; <c>E</c> only on the last token of an entity that is directly followed by one of the same type.</summary>
    IOE1,

    /// <summary><c>E</c> on the last token of every entity, <c>I</c> on the rest.</summary>
    IOE2,

    /// <summary>BIOES: <c>S</c> for one-token entities; otherwise <c>B</c>, then <c>I</c>s, then <c>E</c>.</summary>
    IOBES,

    /// <summary>Like <see cref="IOBES"/> with <c>U</c> (unit) for <c>S</c> and <c>L</c> (last) for <c>E</c>.</summary>
    BILOU,

    /// <summary>B/I/O/S without E: <c>S</c> for one-token entities; otherwise <c>B</c> then <c>I</c>s (the end is not marked).</summary>
    IOBS,

    /// <summary>
    /// BMES (also written BMEOS): <c>S</c> for one-token entities; otherwise <c>B</c>, then <c>M</c>s,
    /// then <c>E</c>; <c>O</c> outside. IOBES with <c>M</c> for <c>I</c>, as in Chinese NER corpora (Resume, MSRA).
    /// </summary>
    BMES,
}
