using Acclimate.Data.Tagging;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// A sentence as augmentation sees it: its words, and the entity mentions that must come out whole.
/// Every edit goes through this type, and each edit refuses to touch a word inside a mention or to
/// insert into one, so no operation can cut or alter an entity span by mistake; mentions move only as
/// whole blocks, and only <see cref="ReplaceMention"/> changes one. Plain text and classification
/// examples are sentences without mentions.
/// </summary>
public sealed record AugmentableSentence
{
    /// <summary>A sentence; <paramref name="entities"/> must fit it and not overlap (any order).</summary>
    public AugmentableSentence(IReadOnlyList<string> words, IEnumerable<EntitySpan>? entities = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        for (var i = 0; i < words.Count; i++)
            if (string.IsNullOrEmpty(words[i]))
                throw new ArgumentException($"word {i} is empty; a word is one token.", nameof(words));
        var spans = (entities ?? Array.Empty<EntitySpan>()).OrderBy(s => s.Start).ToArray();
        for (var k = 0; k < spans.Length; k++)
        {
            if (spans[k].Start < 0 || spans[k].End <= spans[k].Start || spans[k].End > words.Count)
                throw new ArgumentException($"entity {spans[k]} does not fit a sentence of {words.Count} words.", nameof(entities));
            if (k > 0 && spans[k].Start < spans[k - 1].End)
                throw new ArgumentException($"entities {spans[k - 1]} and {spans[k]} overlap.", nameof(entities));
        }
        Words = words.ToArray();
        Entities = spans;
        _inside = new bool[words.Count];
        foreach (var span in spans)
            for (var i = span.Start; i < span.End; i++) _inside[i] = true;
    }

    private readonly bool[] _inside;

    /// <summary>The words (tokens) in order.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The entity mentions, ordered by start.</summary>
    public IReadOnlyList<EntitySpan> Entities { get; }

    /// <summary>A sentence of the whitespace-separated words of <paramref name="text"/>, without mentions.</summary>
    public static AugmentableSentence FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new AugmentableSentence(text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The words joined by single spaces.</summary>
    public string Text => string.Join(' ', Words);

    /// <summary>Indices of the words outside every mention: the only words operations may change.</summary>
    public IReadOnlyList<int> OutsideIndices() => Enumerable.Range(0, Words.Count).Where(i => !_inside[i]).ToArray();

    /// <summary>True when inserting before word <paramref name="position"/> (or at the end) would not split a mention.</summary>
    public bool CanInsertAt(int position) =>
        position >= 0 && position <= Words.Count && !Entities.Any(e => e.Start < position && position < e.End);

    /// <summary>The mention's words.</summary>
    public IReadOnlyList<string> MentionWords(EntitySpan mention) => Words.Skip(mention.Start).Take(mention.Length).ToArray();

    /// <summary>Word <paramref name="index"/> (outside any mention) replaced by one or more words.</summary>
    public AugmentableSentence Replace(int index, IReadOnlyList<string> replacement)
    {
        RequireOutside(index);
        if (replacement.Count == 0) throw new ArgumentException("a replacement needs at least one word.", nameof(replacement));
        var words = Words.Take(index).Concat(replacement).Concat(Words.Skip(index + 1)).ToArray();
        var shift = replacement.Count - 1;
        return new AugmentableSentence(words, Entities.Select(e => e.Start > index ? e with { Start = e.Start + shift, End = e.End + shift } : e));
    }

    /// <summary><paramref name="inserted"/> placed before word <paramref name="position"/>, which must not be inside a mention.</summary>
    public AugmentableSentence Insert(int position, IReadOnlyList<string> inserted)
    {
        if (!CanInsertAt(position)) throw new InvalidOperationException($"inserting at {position} would split a mention or is out of range.");
        var words = Words.Take(position).Concat(inserted).Concat(Words.Skip(position)).ToArray();
        var shift = inserted.Count;
        return new AugmentableSentence(words, Entities.Select(e => e.Start >= position ? e with { Start = e.Start + shift, End = e.End + shift } : e));
    }

    /// <summary>The words at two outside positions exchanged; mentions stay where they are.</summary>
    public AugmentableSentence Swap(int first, int second)
    {
        RequireOutside(first);
        RequireOutside(second);
        var words = Words.ToArray();
        (words[first], words[second]) = (words[second], words[first]);
        return new AugmentableSentence(words, Entities);
    }

    /// <summary>The sentence without the given outside words.</summary>
    public AugmentableSentence Delete(IReadOnlyCollection<int> indices)
    {
        foreach (var i in indices) RequireOutside(i);
        var drop = indices.ToHashSet();
        var words = Words.Where((_, i) => !drop.Contains(i)).ToArray();
        // A mention moves left by the number of deleted words before it.
        return new AugmentableSentence(words, Entities.Select(e =>
        {
            var before = drop.Count(i => i < e.Start);
            return e with { Start = e.Start - before, End = e.End - before };
        }));
    }

    /// <summary>Mention <paramref name="entityIndex"/> replaced by <paramref name="words"/> (same type, new length).</summary>
    public AugmentableSentence ReplaceMention(int entityIndex, IReadOnlyList<string> words)
    {
        if (words.Count == 0) throw new ArgumentException("a mention needs at least one word.", nameof(words));
        var target = Entities[entityIndex];
        var result = Words.Take(target.Start).Concat(words).Concat(Words.Skip(target.End)).ToArray();
        var shift = words.Count - target.Length;
        return new AugmentableSentence(result, Entities.Select((e, k) =>
            k == entityIndex ? e with { End = e.Start + words.Count }
            : e.Start >= target.End ? e with { Start = e.Start + shift, End = e.End + shift } : e));
    }

    /// <summary>True for the same words and mentions.</summary>
    public bool Equals(AugmentableSentence? other) =>
        other is not null && Words.SequenceEqual(other.Words, StringComparer.Ordinal) && Entities.SequenceEqual(other.Entities);

    /// <summary>A hash of the words and the mention count, consistent with <see cref="Equals(AugmentableSentence)"/>.</summary>
    public override int GetHashCode() => Words.Aggregate(Entities.Count, (h, w) => HashCode.Combine(h, w));

    private void RequireOutside(int index)
    {
        if (index < 0 || index >= Words.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the sentence has {Words.Count} words.");
        if (_inside[index]) throw new InvalidOperationException($"word {index} '{Words[index]}' is inside an entity mention; augmentation leaves mentions alone.");
    }
}
