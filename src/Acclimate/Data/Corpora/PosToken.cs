namespace Acclimate.Data.Corpora;

/// <summary>A word and its part-of-speech tag exactly as the corpus has it (Brown: lower-case tags such as <c>nn-tl</c>).</summary>
public sealed record PosToken(string Word, string Tag)
{
    /// <summary>The tag without Brown's markers for context rather than word class (see <see cref="BrownTags.Base"/>).</summary>
    public string BaseTag => BrownTags.Base(Tag);
}
