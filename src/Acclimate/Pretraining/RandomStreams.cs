namespace Acclimate.Pretraining;

/// <summary>
/// Derives independent seeds for <see cref="Random"/> from a run seed and a position (epoch,
/// step, example index). <see cref="Random"/>'s state cannot be saved, so a resumable run does
/// not keep one generator alive across steps: it makes a fresh one per step from
/// <c>Derive(seed, step)</c>, and a resumed run that knows the step reproduces the same draws.
/// </summary>
internal static class RandomStreams
{
    /// <summary>A seed that depends on every part, mixed with SplitMix64 so nearby inputs give unrelated seeds.</summary>
    public static int Derive(long seed, params long[] parts)
    {
        var state = Mix(unchecked((ulong)seed) ^ 0x9E3779B97F4A7C15UL);
        foreach (var part in parts)
            state = Mix(state ^ Mix(unchecked((ulong)part) + 0xD1B54A32D192ED03UL));
        return unchecked((int)(state ^ (state >> 32)));
    }

    /// <summary>A generator for one position: <c>new Random(Derive(seed, parts))</c>.</summary>
    public static Random For(long seed, params long[] parts) => new(Derive(seed, parts));

    private static ulong Mix(ulong z)
    {
        z = unchecked(z + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
