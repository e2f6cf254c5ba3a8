namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// The entity mentions of a training set by type, each distinct surface once (in order of first
/// appearance): what <see cref="MentionReplacement"/> draws new mentions from.
/// </summary>
public sealed class MentionPool
{
    private readonly Dictionary<string, List<string[]>> _byType = new(StringComparer.Ordinal);

    /// <summary>Collects the mentions of <paramref name="sentences"/>.</summary>
    public MentionPool(IEnumerable<AugmentableSentence> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var seen = new HashSet<(string, string)>();
        foreach (var sentence in sentences)
            foreach (var mention in sentence.Entities)
            {
                var words = sentence.MentionWords(mention).ToArray();
                if (!seen.Add((mention.Type, string.Join(' ', words)))) continue;
                if (!_byType.TryGetValue(mention.Type, out var list)) _byType[mention.Type] = list = new List<string[]>();
                list.Add(words);
            }
    }

    /// <summary>The entity types, sorted.</summary>
    public IReadOnlyList<string> Types => _byType.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The distinct mentions of <paramref name="type"/> (empty for an unknown type).</summary>
    public IReadOnlyList<IReadOnlyList<string>> MentionsOf(string type) =>
        _byType.TryGetValue(type, out var list) ? list : Array.Empty<IReadOnlyList<string>>();

    /// <summary>True when <paramref name="words"/> is a mention of <paramref name="type"/> in the pool.</summary>
    public bool Contains(string type, IReadOnlyList<string> words) =>
        MentionsOf(type).Any(m => m.SequenceEqual(words, StringComparer.Ordinal));
}
