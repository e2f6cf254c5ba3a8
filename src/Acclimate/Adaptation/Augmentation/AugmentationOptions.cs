namespace Acclimate.Adaptation.Augmentation;

/// <summary>How many copies <see cref="Augmenter"/> makes per example and from which seed; validated as it is built.</summary>
public sealed record AugmentationOptions
{
    private readonly int _copies = 1;

    /// <summary>Augmented copies per input example (<c>--n</c>), at least 1.</summary>
    public int Copies
    {
        get => _copies;
        init => _copies = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Copies), value, "--n: at least one augmented copy per example.");
    }

    /// <summary>Also output each original example, before its copies (<c>--keep-original</c>, default true).</summary>
    public bool KeepOriginal { get; init; } = true;

    /// <summary>Seed of every random choice; example i's copy c draws from its own stream, so results do not depend on order or batching.</summary>
    public int Seed { get; init; } = 1;
}
