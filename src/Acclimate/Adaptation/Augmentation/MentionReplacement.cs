namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// Mention replacement (Dai &amp; Adel 2020, "An Analysis of Simple Data Augmentation for Named Entity
/// Recognition"): n = max(1, ⌊α·mentions⌋) random mentions of the sentence are each swapped for
/// another mention of the same type from the training set. The new mention may be longer or shorter;
/// its labels are rewritten for its length when the sentence is written in the file's scheme.
/// </summary>
public sealed class MentionReplacement : IAugmentationOperation
{
    private readonly MentionPool _pool;

    /// <summary>Mention replacement drawing from <paramref name="pool"/>.</summary>
    /// <param name="pool">The training set's mentions by type.</param>
    /// <param name="alpha">Share of a sentence's mentions replaced, in (0, 1] (at least one).</param>
    public MentionReplacement(MentionPool pool, double alpha)
    {
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        Alpha = EasyDataAugmentation.CheckAlpha(alpha);
    }

    /// <inheritdoc />
    public string Name => "mention";

    /// <summary>Share of a sentence's mentions replaced, in (0, 1].</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public AugmentableSentence Apply(AugmentableSentence sentence, Random random)
    {
        if (sentence.Entities.Count == 0) return sentence;
        var wanted = EasyDataAugmentation.ChangeCount(Alpha, sentence.Entities.Count);
        var order = Enumerable.Range(0, sentence.Entities.Count).ToArray();
        random.Shuffle(order);
        var chosen = new List<(int Entity, IReadOnlyList<string> Words)>();
        foreach (var k in order)
        {
            if (chosen.Count == wanted) break;
            var mention = sentence.Entities[k];
            var current = sentence.MentionWords(mention);
            var others = _pool.MentionsOf(mention.Type).Where(m => !m.SequenceEqual(current, StringComparer.Ordinal)).ToArray();
            if (others.Length == 0) continue;
            chosen.Add((k, others[random.Next(others.Length)]));
        }
        // From the right, so replacing one mention does not move the ones still to replace.
        foreach (var (k, words) in chosen.OrderByDescending(c => c.Entity))
            sentence = sentence.ReplaceMention(k, words);
        return sentence;
    }
}
