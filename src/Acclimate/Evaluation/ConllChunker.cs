using System.Text;
using Acclimate.Errors;

namespace Acclimate.Evaluation;

/// <summary>
/// Entity extraction of seqeval's default mode (<c>get_entities</c>), which follows conlleval: the
/// sentences are joined with an <c>O</c> after each and one more at the end, and a chunk boundary is
/// decided from the previous and current prefix letters and types alone. No scheme is consulted, so
/// malformed sequences are repaired rather than rejected.
/// </summary>
internal static class ConllChunker
{
    private const int Outside = 'O';

    /// <summary>
    /// The entities of a corpus, positioned over the joined corpus. Tags seqeval would warn about
    /// ("seems not to be NE tag") are appended to <paramref name="nonEntityTags"/> once each.
    /// </summary>
    public static HashSet<EntityKey> Extract(IReadOnlyList<IReadOnlyList<string>> corpus, string side, List<string> nonEntityTags)
    {
        var chunks = new HashSet<EntityKey>();
        var prevPrefix = Outside;
        var prevType = "";
        var begin = 0;
        var position = 0;

        void Step(int prefix, string type)
        {
            if (EndsChunk(prevPrefix, prefix, prevType, type)) chunks.Add(new EntityKey(0, prevType, begin, position));
            if (StartsChunk(prevPrefix, prefix, prevType, type)) begin = position;
            prevPrefix = prefix;
            prevType = type;
            position++;
        }

        for (var s = 0; s < corpus.Count; s++)
        {
            var sentence = corpus[s];
            for (var t = 0; t < sentence.Count; t++)
            {
                var tag = sentence[t];
                if (string.IsNullOrEmpty(tag))
                    throw new DataException($"{side} sentence {s}, token {t}: empty tag; expected 'O' or a tag such as 'B-PER'.");
                if (!LooksLikeEntityTag(tag) && !nonEntityTags.Contains(tag)) nonEntityTags.Add(tag);
                var (prefix, type) = Split(tag);
                Step(prefix, type);
            }
            Step(Outside, "_");
        }
        Step(Outside, "_");
        return chunks;
    }

    // The check behind seqeval's "X seems not to be NE tag." warning; it only warns, never rejects.
    private static bool LooksLikeEntityTag(string tag) =>
        tag is "O" or "B" or "I" or "E" or "S"
        || tag.StartsWith("B-", StringComparison.Ordinal) || tag.StartsWith("I-", StringComparison.Ordinal)
        || tag.StartsWith("E-", StringComparison.Ordinal) || tag.StartsWith("S-", StringComparison.Ordinal);

    // The prefix is the first code point; the type is what follows the first '-' after it (the whole
    // rest if there is no '-'), or '_' when that is empty: B-GPE-LOC -> GPE-LOC, B -> _, O -> _.
    private static (int Prefix, string Type) Split(string tag)
    {
        var rune = Rune.GetRuneAt(tag, 0);
        var rest = tag[rune.Utf16SequenceLength..];
        var dash = rest.IndexOf('-');
        var type = dash < 0 ? rest : rest[(dash + 1)..];
        return (rune.Value, type.Length == 0 ? "_" : type);
    }

    private static bool EndsChunk(int prev, int current, string prevType, string type)
    {
        if (prev is 'E' or 'S') return true;
        if ((prev is 'B' or 'I') && (current is 'B' or 'S' or 'O')) return true;
        return prev != Outside && prev != '.' && prevType != type;
    }

    private static bool StartsChunk(int prev, int current, string prevType, string type)
    {
        if (current is 'B' or 'S') return true;
        if ((prev is 'E' or 'S' or 'O') && (current is 'E' or 'I')) return true;
        return current != Outside && current != '.' && prevType != type;
    }
}
