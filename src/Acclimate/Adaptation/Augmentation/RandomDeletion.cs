namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// EDA's random deletion (RD): each word outside mentions is dropped with probability α. A sentence
/// never loses all its words, and a word that alone separates two mentions of the same type stays,
/// since without it the two would read as one mention (and IO tags could not write them at all).
/// </summary>
public sealed class RandomDeletion : IAugmentationOperation
{
    public RandomDeletion(double alpha) => Alpha = EasyDataAugmentation.CheckAlpha(alpha);

    public string Name => "rd";

    public double Alpha { get; }

    public AugmentableSentence Apply(AugmentableSentence sentence, Random random)
    {
        if (sentence.Words.Count <= 1) return sentence;
        var outside = sentence.OutsideIndices();
        var drop = new List<int>();
        foreach (var i in outside)
            if (random.NextDouble() < Alpha && !SeparatesSameType(sentence, i)) drop.Add(i);
        if (drop.Count == sentence.Words.Count)
            drop.RemoveAt(random.Next(drop.Count));   // EDA keeps one random word of a fully deleted sentence
        return drop.Count == 0 ? sentence : sentence.Delete(drop);
    }

    private static bool SeparatesSameType(AugmentableSentence sentence, int index) =>
        sentence.Entities.Any(left => left.End == index &&
            sentence.Entities.Any(right => right.Start == index + 1 && right.Type == left.Type));
}
