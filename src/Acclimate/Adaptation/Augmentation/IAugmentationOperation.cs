namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// One way of making a new example from an old one (EDA's synonym replacement, a contextual
/// substitution, a mention swap, …). Operations change only words outside entity mentions
/// (<see cref="AugmentableSentence"/> enforces it); when nothing applies they return the input.
/// </summary>
public interface IAugmentationOperation
{
    /// <summary>Short name used in summaries and on the command line (e.g. <c>sr</c>).</summary>
    string Name { get; }

    /// <summary>A changed copy of <paramref name="sentence"/>, drawing every random choice from <paramref name="random"/>.</summary>
    AugmentableSentence Apply(AugmentableSentence sentence, Random random);
}
