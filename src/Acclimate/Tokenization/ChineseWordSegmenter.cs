using Lucene.Net.Analysis.Cn.Smart;
using Lucene.Net.Analysis.TokenAttributes;

namespace Acclimate.Tokenization;

/// <summary>
/// Chinese word segmentation with Lucene.Net's SmartCn (an HMM segmenter over a bundled dictionary:
/// the role LTP plays for HuggingFace's Chinese whole-word masking references). Returns each word's
/// character span in the input; punctuation and other non-word characters are left out.
/// </summary>
internal static class ChineseWordSegmenter
{
    /// <summary>The words of <paramref name="text"/> as [Start, End) character spans, in order.</summary>
    public static IReadOnlyList<(int Start, int End)> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spans = new List<(int, int)>();
        using var tokenizer = new HMMChineseTokenizer(new StringReader(text));
        var offsets = tokenizer.AddAttribute<IOffsetAttribute>();
        tokenizer.Reset();
        while (tokenizer.IncrementToken()) spans.Add((offsets.StartOffset, offsets.EndOffset));
        tokenizer.End();
        return spans;
    }
}
