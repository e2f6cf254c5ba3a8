using System.Text;

namespace Acclimate.Data.Corpora;

/// <summary>
/// Joins English tokens (Brown / Penn Treebank conventions) back into running text: no space before
/// closing punctuation or split-off clitics, none after opening brackets, <c>``</c> and <c>''</c> become
/// straight double quotes, and a lone <c>'</c> alternates between opening and closing quote.
/// </summary>
internal static class Detokenizer
{
    private static readonly HashSet<string> AttachLeft = new(StringComparer.Ordinal)
    {
        ",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "''",
        "'s", "'S", "n't", "N'T", "'re", "'RE", "'ve", "'VE", "'ll", "'LL", "'m", "'M", "'d", "'D",
    };

    private static readonly HashSet<string> AttachRight = new(StringComparer.Ordinal) { "(", "[", "{", "``", "$", "#" };

    /// <summary>The text of one run of tokens (a sentence or a paragraph; quote pairing runs over the whole run).</summary>
    public static string Detokenize(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var text = new StringBuilder();
        var glueNext = true;
        var singleQuoteOpen = false;
        foreach (var token in tokens)
        {
            if (token.Length == 0) continue;
            bool left, right;
            var surface = token;
            if (token == "'")
            {
                left = singleQuoteOpen;
                right = !singleQuoteOpen;
                singleQuoteOpen = !singleQuoteOpen;
            }
            else
            {
                left = AttachLeft.Contains(token);
                right = AttachRight.Contains(token);
                if (token is "``" or "''") surface = "\"";
            }
            if (!glueNext && !left) text.Append(' ');
            text.Append(surface);
            glueNext = right;
        }
        return text.ToString();
    }
}
