using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Acclimate.Data.Corpora;

/// <summary>
/// Deterministic train / held-out splits of documents. <see cref="IsHeldOut"/> decides per document
/// from a hash of its id (streaming, stable when documents are added or reordered, the same on every
/// machine); <see cref="Shuffle{T}"/> makes an exact-size split of a list from a seed.
/// </summary>
public static class DocumentSplit
{
    /// <summary>
    /// True when the document goes to the held-out side: SHA-256 of <c>salt + "\n" + id</c>, read as a
    /// number in [0, 1), is below <paramref name="heldOutFraction"/>. Change the salt for a different split.
    /// </summary>
    public static bool IsHeldOut(string documentId, double heldOutFraction, string salt = "")
    {
        ArgumentNullException.ThrowIfNull(documentId);
        CheckFraction(heldOutFraction);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(salt + "\n" + documentId), hash);
        // 53 bits make an exactly representable double in [0, 1).
        var unit = (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
        return unit < heldOutFraction;
    }

    /// <summary>Streams the documents on one side of the hash split.</summary>
    public static IEnumerable<CorpusDocument> Select(IEnumerable<CorpusDocument> documents, double heldOutFraction, bool heldOut, string salt = "")
    {
        ArgumentNullException.ThrowIfNull(documents);
        CheckFraction(heldOutFraction);
        return documents.Where(d => IsHeldOut(d.Id, heldOutFraction, salt) == heldOut);
    }

    /// <summary>
    /// Shuffles a copy of <paramref name="items"/> with a seeded SplitMix64 generator (the same sequence
    /// on every runtime) and puts the first <c>round(fraction × count)</c> items in the held-out part,
    /// the rest, in shuffled order, in the train part.
    /// </summary>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> HeldOut) Shuffle<T>(IReadOnlyList<T> items, double heldOutFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        CheckFraction(heldOutFraction);
        var order = items.ToArray();
        var state = seed;
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = (int)(NextUInt64(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        var heldOutCount = (int)Math.Round(heldOutFraction * order.Length, MidpointRounding.AwayFromZero);
        return (order[heldOutCount..], order[..heldOutCount]);
    }

    private static ulong NextUInt64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static void CheckFraction(double fraction)
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The held-out fraction must be between 0 and 1.");
    }
}
