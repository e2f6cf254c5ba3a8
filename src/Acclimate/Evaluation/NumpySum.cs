namespace Acclimate.Evaluation;

/// <summary>
/// Sums doubles in the order numpy 1.24's <c>np.add.reduce</c> does for a contiguous float64 array
/// (start from the identity 0, then pairwise summation with 8 accumulators in blocks of up to 128),
/// so that averages are bit-identical to seqeval's, not just close.
/// </summary>
internal static class NumpySum
{
    private const int BlockSize = 128;

    public static double Sum(ReadOnlySpan<double> values) => 0.0 + Pairwise(values);

    /// <summary><c>np.mean</c>: NaN for no values, as numpy returns (with a warning) for an empty slice.</summary>
    public static double Mean(ReadOnlySpan<double> values) =>
        values.Length == 0 ? double.NaN : Sum(values) / values.Length;

    /// <summary><c>np.average(values, weights=weights)</c>; the caller handles a zero weight sum.</summary>
    public static double WeightedMean(ReadOnlySpan<double> values, ReadOnlySpan<int> weights)
    {
        var products = new double[values.Length];
        var w = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            products[i] = values[i] * weights[i];
            w[i] = weights[i];
        }
        return Sum(products) / Sum(w);
    }

    private static double Pairwise(ReadOnlySpan<double> a)
    {
        var n = a.Length;
        if (n < 8)
        {
            var res = 0.0;
            for (var i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= BlockSize)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            var i = 8;
            for (; i < n - n % 8; i += 8)
            {
                r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
                r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
            }
            var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        var half = n / 2;
        half -= half % 8;
        return Pairwise(a[..half]) + Pairwise(a[half..]);
    }
}
