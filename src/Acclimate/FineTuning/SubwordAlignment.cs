using System.Globalization;
using Acclimate.Errors;

namespace Acclimate.FineTuning;

/// <summary>
/// Moves labels between words and the subword tokens a tokenizer made of them, using only the
/// tokenizer's word-id list (one entry per token: the index of the word it came from, or null for
/// special tokens), so it works with any tokenizer.
/// </summary>
/// <remarks>
/// A token starts a word when its word id differs from the previous token's (HF's rule). Each
/// word's tokens must be one contiguous run; a word id that reappears later would otherwise be
/// labelled twice (a second B-). Words may have no token at all (dropped by the tokenizer, or
/// truncated away): they get no label id and map back to the caller's "missing" value.
/// </remarks>
public static class SubwordAlignment
{
    /// <summary>The label id the losses ignore (PyTorch's and HF's convention).</summary>
    public const int IgnoreIndex = -100;

    /// <summary>True at the first token of each word, false at continuations and special tokens.</summary>
    public static bool[] WordStarts(IReadOnlyList<int?> wordIds)
    {
        ArgumentNullException.ThrowIfNull(wordIds);
        ValidateRuns(wordIds, wordCount: null);
        var starts = new bool[wordIds.Count];
        for (var i = 0; i < wordIds.Count; i++)
            starts[i] = wordIds[i] is not null && (i == 0 || wordIds[i - 1] != wordIds[i]);
        return starts;
    }

    /// <summary>For each word, the index of its first token, or -1 when the word has no token.</summary>
    public static int[] FirstTokenOfEachWord(IReadOnlyList<int?> wordIds, int wordCount)
    {
        ArgumentNullException.ThrowIfNull(wordIds);
        ValidateRuns(wordIds, wordCount);
        var first = Enumerable.Repeat(-1, wordCount).ToArray();
        for (var i = 0; i < wordIds.Count; i++)
            if (wordIds[i] is int w && first[w] < 0) first[w] = i;
        return first;
    }

    /// <summary>
    /// Label ids per token: special tokens get -100; the first subword of word w gets
    /// <paramref name="wordLabels"/>[w]; continuations get -100 (<see cref="LabelAlignment.FirstSubword"/>)
    /// or the word's continuation tag (<see cref="LabelAlignment.AllSubwords"/>, see <see cref="ContinuationTag"/>).
    /// </summary>
    /// <param name="wordLabels">One tag per word (the words' count is this list's count).</param>
    /// <param name="wordIds">Per token, the word it came from, or null for special tokens.</param>
    /// <param name="labelNames">The label set, by id.</param>
    public static long[] AlignLabels(IReadOnlyList<string> wordLabels, IReadOnlyList<int?> wordIds, IReadOnlyList<string> labelNames, LabelAlignment alignment)
    {
        ArgumentNullException.ThrowIfNull(wordLabels);
        ArgumentNullException.ThrowIfNull(wordIds);
        ArgumentNullException.ThrowIfNull(labelNames);
        ValidateRuns(wordIds, wordLabels.Count);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < labelNames.Count; i++)
            if (!ids.TryAdd(labelNames[i], i)) throw new ConfigException($"label '{labelNames[i]}' appears twice in the label set (ids {ids[labelNames[i]]} and {i}).");
        long IdOf(string tag, int word, string? role)
        {
            if (ids.TryGetValue(tag, out var id)) return id;
            var what = role is null ? $"label '{tag}' of word {word}" : $"label '{tag}' ({role} of word {word}'s '{wordLabels[word]}')";
            throw new DataException($"{what} is not in the label set [{string.Join(", ", labelNames)}].");
        }

        var result = new long[wordIds.Count];
        for (var i = 0; i < wordIds.Count; i++)
        {
            if (wordIds[i] is not int w) { result[i] = IgnoreIndex; continue; }
            var isStart = i == 0 || wordIds[i - 1] != w;
            if (isStart) result[i] = IdOf(wordLabels[w], w, null);
            else result[i] = alignment == LabelAlignment.FirstSubword
                ? IgnoreIndex
                : IdOf(ContinuationTag(wordLabels[w]), w, "continuation");
        }
        return result;
    }

    /// <summary>
    /// The tag for a word's non-first subwords: "I" plus the separator and type for a prefixed
    /// entity tag (B-PER, I-PER, E-PER, S-PER, L-PER, U-PER, M-PER, also with '_' → I-PER / I_PER),
    /// and the tag itself otherwise (O, or a POS tag such as NOUN).
    /// </summary>
    public static string ContinuationTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag.Length >= 3 && "BIESLUM".Contains(tag[0]) && tag[1] is '-' or '_')
            return "I" + tag[1..];
        return tag;
    }

    /// <summary>
    /// Per word, the value at its first subword (e.g. a predicted label id); words without a token
    /// get <paramref name="missing"/>.
    /// </summary>
    public static T[] ToWords<T>(IReadOnlyList<T> tokenValues, IReadOnlyList<int?> wordIds, int wordCount, T missing)
    {
        ArgumentNullException.ThrowIfNull(tokenValues);
        if (tokenValues.Count != wordIds.Count)
            throw new DataException($"{tokenValues.Count} token values for {wordIds.Count} word ids; expected one per token.");
        var first = FirstTokenOfEachWord(wordIds, wordCount);
        var result = new T[wordCount];
        for (var w = 0; w < wordCount; w++) result[w] = first[w] < 0 ? missing : tokenValues[first[w]];
        return result;
    }

    private static void ValidateRuns(IReadOnlyList<int?> wordIds, int? wordCount)
    {
        var finished = new HashSet<int>();
        int? previous = null;
        for (var i = 0; i < wordIds.Count; i++)
        {
            var current = wordIds[i];
            if (current is int w)
            {
                if (w < 0 || (wordCount is int n && w >= n))
                    throw new DataException($"token {i} has word id {w}; expected 0..{(wordCount ?? int.MaxValue) - 1}" +
                                            (wordCount is null ? "." : $" for {wordCount} words."));
                if (w != previous && finished.Contains(w))
                    throw new DataException($"token {i} returns to word {w.ToString(CultureInfo.InvariantCulture)} after other tokens; a word's tokens must be contiguous.");
            }
            if (previous is int p && current != p) finished.Add(p);
            previous = current;
        }
    }
}
