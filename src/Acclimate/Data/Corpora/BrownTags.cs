namespace Acclimate.Data.Corpora;

/// <summary>
/// Brown tag helpers. The package ships no universal-tagset mapping, so the full tag is kept; the one
/// simplification offered is the Brown manual's own: the suffixes <c>-tl</c> (word in a title),
/// <c>-hl</c> (in a headline), <c>-nc</c> (cited word) and the prefix <c>fw-</c> (foreign word) mark
/// where a word stands, not what it is, and are dropped by <see cref="Base"/>.
/// </summary>
internal static class BrownTags
{
    private static readonly string[] ContextSuffixes = { "-tl", "-hl", "-nc" };

    /// <summary><c>nn-tl</c> → <c>nn</c>, <c>fw-nn-tl</c> → <c>nn</c>, <c>.-hl</c> → <c>.</c>; other tags unchanged.</summary>
    public static string Base(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var result = tag.StartsWith("fw-", StringComparison.Ordinal) && tag.Length > 3 ? tag[3..] : tag;
        // Suffixes stack ("nn-tl-hl"), so strip until none is left; a tag never becomes empty.
        for (var stripped = true; stripped;)
        {
            stripped = false;
            foreach (var suffix in ContextSuffixes)
            {
                if (result.Length > suffix.Length && result.EndsWith(suffix, StringComparison.Ordinal))
                {
                    result = result[..^suffix.Length];
                    stripped = true;
                }
            }
        }
        return result;
    }

    /// <summary>True for a headline tag (<c>-hl</c> anywhere in the suffix chain).</summary>
    public static bool IsHeadline(string tag) =>
        tag.EndsWith("-hl", StringComparison.Ordinal) || tag.Contains("-hl-", StringComparison.Ordinal);
}
