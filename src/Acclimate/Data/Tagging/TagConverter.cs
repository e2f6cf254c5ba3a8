using Acclimate.Errors;

namespace Acclimate.Data.Tagging;

/// <summary>Rewrites tags from one scheme into another by decoding to spans and encoding them again.</summary>
public static class TagConverter
{
    /// <summary>
    /// Converts one sentence. Spans are preserved exactly, so converting a legal sequence and back
    /// gives it back. With <see cref="TagReading.Strict"/> an illegal source sequence throws; with
    /// <see cref="TagReading.Lenient"/> it is repaired first (see <see cref="TagReading"/>). Converting
    /// to IO throws where two entities of the same type touch, since IO would merge them.
    /// </summary>
    public static string[] Convert(IReadOnlyList<string> tags, TaggingScheme from, TaggingScheme to, TagReading reading = TagReading.Strict)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return TagEncoder.Encode(TagDecoder.Decode(tags, from, reading), tags.Count, to);
    }

    /// <summary>Converts every sentence of a corpus; see <see cref="Convert(IReadOnlyList{string}, TaggingScheme, TaggingScheme, TagReading)"/>.</summary>
    public static string[][] ConvertAll(IReadOnlyList<IReadOnlyList<string>> sentences, TaggingScheme from, TaggingScheme to, TagReading reading = TagReading.Strict)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var result = new string[sentences.Count][];
        for (var s = 0; s < sentences.Count; s++)
        {
            try
            {
                result[s] = Convert(sentences[s], from, to, reading);
            }
            catch (DataException e)
            {
                throw new DataException($"sentence {s}: {e.Message}", e);
            }
        }
        return result;
    }
}
