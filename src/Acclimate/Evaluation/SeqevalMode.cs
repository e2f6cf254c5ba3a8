namespace Acclimate.Evaluation;

/// <summary>How <see cref="Seqeval"/> finds entities, mirroring seqeval's <c>mode</c> argument.</summary>
public enum SeqevalMode
{
    /// <summary>
    /// seqeval's default (<c>mode=None</c>): conlleval-compatible chunking that repairs malformed
    /// sequences (an <c>I-X</c> after <c>O</c> starts an entity) and ignores the tagging scheme.
    /// </summary>
    Default,

    /// <summary>
    /// seqeval's <c>mode='strict'</c> with a scheme: an entity counts only if it starts and ends the
    /// way the scheme says; malformed spans are dropped, not repaired.
    /// </summary>
    Strict,
}
