using Acclimate.Pretraining;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// Makes <see cref="AugmentationOptions.Copies"/> copies of each example, each with one operation, as
/// EDA does: the operations take turns (copy c of example i uses operation (c + s_i) mod m, with s_i
/// a random start), so every operation makes about the same share. When the turn's operation cannot
/// change the sentence (no synonym, no other mention of the type) the next ones are tried; a copy
/// nothing could change is still written, marked unchanged, so every example has exactly K copies.
/// </summary>
public sealed class Augmenter
{
    private readonly IReadOnlyList<IAugmentationOperation> _operations;

    /// <summary>An augmenter that cycles through <paramref name="operations"/>.</summary>
    /// <param name="operations">At least one operation, in turn order.</param>
    /// <param name="options">Copies per example, whether the original is kept, seed; null = defaults.</param>
    public Augmenter(IReadOnlyList<IAugmentationOperation> operations, AugmentationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0) throw new ArgumentException("at least one augmentation operation is needed.", nameof(operations));
        _operations = operations.ToArray();
        Options = options ?? new AugmentationOptions();
    }

    /// <summary>Copies per example, whether the original is kept, and the seed.</summary>
    public AugmentationOptions Options { get; }

    /// <summary>The operations, in turn order.</summary>
    public IReadOnlyList<IAugmentationOperation> Operations => _operations;

    /// <summary>The original (when kept) followed by the copies of example number <paramref name="exampleIndex"/>.</summary>
    public IReadOnlyList<AugmentedCopy> Augment(AugmentableSentence sentence, long exampleIndex)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var result = new List<AugmentedCopy>(Options.Copies + 1);
        if (Options.KeepOriginal) result.Add(new AugmentedCopy(sentence, null, false));
        var start = RandomStreams.For(Options.Seed, exampleIndex, -1).Next(_operations.Count);
        for (var c = 0; c < Options.Copies; c++)
        {
            AugmentedCopy? made = null;
            for (var attempt = 0; attempt < _operations.Count && made is null; attempt++)
            {
                var operation = _operations[(start + c + attempt) % _operations.Count];
                var changed = operation.Apply(sentence, RandomStreams.For(Options.Seed, exampleIndex, c, attempt));
                if (!changed.Equals(sentence)) made = new AugmentedCopy(changed, operation.Name, true);
            }
            result.Add(made ?? new AugmentedCopy(sentence, _operations[(start + c) % _operations.Count].Name, false));
        }
        return result;
    }
}
