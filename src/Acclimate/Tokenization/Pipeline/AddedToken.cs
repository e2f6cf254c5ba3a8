namespace Acclimate.Tokenization.Pipeline;

/// <summary>
/// A special token that is matched in raw text before normalization (HF added token with
/// normalized = false). <see cref="LStrip"/> lets the match swallow the whitespace before it, as
/// RoBERTa's and ALBERT's mask tokens do.
/// </summary>
internal sealed record AddedToken(string Content, int Id, bool LStrip = false, bool RStrip = false);
