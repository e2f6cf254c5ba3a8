namespace Acclimate.Data.Tagging;

/// <summary>What to do with a tag sequence that breaks the rules of its scheme (e.g. <c>O I-PER</c> in IOB2).</summary>
public enum TagReading
{
    /// <summary>
    /// Repair the way conlleval does: an <c>I-X</c> that cannot continue an open <c>X</c> entity starts
    /// a new one, an <c>E-X</c>/<c>L-X</c> that closes nothing is a one-token entity, a type change
    /// splits the entity. Tags whose prefix the scheme does not have are still an error.
    /// </summary>
    Lenient,

    /// <summary>Throw a <see cref="Acclimate.Errors.DataException"/> at the first illegal tag.</summary>
    Strict,
}
