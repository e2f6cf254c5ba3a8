namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// EDA's random deletion (RD): each word outside mentions is dropped with probability α. A sentence
/// never loses all its words, and of the words between two mentions of the same type at least one
/// stays, since without them the two would read as one mention (and IO tags could not write them).
/// </summary>
public sealed class RandomDeletion : IAugmentationOperation
{
    /// <summary>Random deletion with probability <paramref name="alpha"/>, in (0, 1].</summary>
    public RandomDeletion(double alpha) => Alpha = EasyDataAugmentation.CheckAlpha(alpha);

    /// <inheritdoc />
    public string Name => "rd";

    /// <summary>Probability that a word outside mentions is dropped.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public AugmentableSentence Apply(AugmentableSentence sentence, Random random)
    {
        if (sentence.Words.Count <= 1) return sentence;
        var drop = new HashSet<int>();
        foreach (var i in sentence.OutsideIndices())
            if (random.NextDouble() < Alpha) drop.Add(i);
        // Two mentions of one type keep at least one of the words between them.
        for (var k = 0; k + 1 < sentence.Entities.Count; k++)
        {
            var (left, right) = (sentence.Entities[k], sentence.Entities[k + 1]);
            if (left.Type != right.Type || right.Start == left.End) continue;
            if (Enumerable.Range(left.End, right.Start - left.End).All(drop.Contains))
                drop.Remove(left.End + random.Next(right.Start - left.End));
        }
        if (drop.Count == sentence.Words.Count)
            drop.Remove(drop.ElementAt(random.Next(drop.Count)));   // EDA keeps one random word of a fully deleted sentence
        return drop.Count == 0 ? sentence : sentence.Delete(drop.Order().ToArray());
    }
}
