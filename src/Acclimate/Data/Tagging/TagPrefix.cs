namespace Acclimate.Data.Tagging;

/// <summary>The one-letter prefix of a tag: what position in an entity the token has.</summary>
public enum TagPrefix
{
    /// <summary>Outside any entity (the whole tag is <c>O</c>).</summary>
    O,

    /// <summary>Begin: first token of an entity.</summary>
    B,

    /// <summary>Inside: a token of an entity (in IO, IOB1, IOE1 also the first or last one).</summary>
    I,

    /// <summary>End: last token of an entity (IOE1, IOE2, IOBES).</summary>
    E,

    /// <summary>Single: a one-token entity (IOBES, IOBS).</summary>
    S,

    /// <summary>Last: last token of an entity (BILOU).</summary>
    L,

    /// <summary>Unit: a one-token entity (BILOU).</summary>
    U,

    /// <summary>Middle: a token inside an entity, neither first nor last (BMES, where it stands for I).</summary>
    M,
}
