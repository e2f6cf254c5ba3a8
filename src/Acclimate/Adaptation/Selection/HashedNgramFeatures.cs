namespace Acclimate.Adaptation.Selection;

/// <summary>
/// DSIR's feature map (Xie et al. 2023): the unigrams and bigrams of a document's lower-cased
/// words, each hashed into one of <see cref="BucketCount"/> buckets. Words are runs of letters and
/// digits, as in <see cref="BigramLanguageModel.Words"/>. Bigrams are formed within one document
/// only (nothing joins the last word of one document to the first of the next). The hash is a
/// fixed 64-bit FNV-1a over the lower-cased characters, so the same text gives the same buckets in
/// every process (unlike <see cref="string.GetHashCode()"/>).
/// </summary>
public sealed class HashedNgramFeatures
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    /// <param name="bucketCount">Number of hash buckets m (the paper uses 10,000).</param>
    public HashedNgramFeatures(int bucketCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        BucketCount = bucketCount;
    }

    /// <summary>Number of hash buckets m.</summary>
    public int BucketCount { get; }

    /// <summary>
    /// Replaces the contents of <paramref name="buckets"/> with the bucket of every unigram and
    /// bigram of <paramref name="text"/> (one entry per occurrence, unigrams and bigrams
    /// interleaved in text order) and returns the number of words.
    /// </summary>
    public int Extract(string text, List<int> buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        buckets.Clear();
        if (string.IsNullOrEmpty(text)) return 0;
        var words = 0;
        ulong previous = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (!IsWordChar(text[i])) { i++; continue; }
            var hash = FnvOffset;
            while (i < text.Length && IsWordChar(text[i]))
            {
                hash = (hash ^ char.ToLowerInvariant(text[i])) * FnvPrime;
                i++;
            }
            hash = Mix(hash);
            buckets.Add(Bucket(hash));
            if (words > 0) buckets.Add(Bucket(Mix(previous * 0x9E3779B97F4A7C15UL ^ hash ^ 0xB16B00B5UL)));
            previous = hash;
            words++;
        }
        return words;
    }

    /// <summary>The buckets of <paramref name="text"/>'s unigrams and bigrams (see <see cref="Extract"/>).</summary>
    public IReadOnlyList<int> Buckets(string text)
    {
        var list = new List<int>();
        Extract(text, list);
        return list;
    }

    private int Bucket(ulong hash) => (int)(hash % (ulong)BucketCount);

    // \p{L} or \p{N}, per UTF-16 char, as BigramLanguageModel's word pattern.
    private static bool IsWordChar(char c) => char.IsLetter(c) || char.IsNumber(c);

    // SplitMix64 finaliser: spreads FNV's low bits before the modulus.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
