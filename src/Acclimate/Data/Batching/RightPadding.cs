namespace Acclimate.Data.Batching;

/// <summary>
/// The one way batches are padded: variable-length rows laid out row-major in a [rows, width]
/// block, each row's values first and <c>fill</c> after them. Every collator (tagging, classification,
/// sentence embedding) builds its ids, attention mask and per-token extras through it, so the
/// layouts agree wherever a batch is made.
/// </summary>
internal static class RightPadding
{
    /// <summary>The batch width: the longest row (0 for no rows).</summary>
    public static int Width<T>(IReadOnlyList<IReadOnlyList<T>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Count == 0 ? 0 : rows.Max(r => r.Count);
    }

    /// <summary><paramref name="rows"/> padded with <paramref name="fill"/> to <paramref name="width"/>, row-major.</summary>
    public static T[] Pad<T>(IReadOnlyList<IReadOnlyList<T>> rows, int width, T fill)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var values = new T[rows.Count * width];
        Array.Fill(values, fill);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Count > width) throw new ArgumentException($"row {r} has {row.Count} values, more than the batch width {width}.", nameof(rows));
            for (var t = 0; t < row.Count; t++) values[r * width + t] = row[t];
        }
        return values;
    }

    /// <summary>The attention mask of rows of these lengths: 1 on each row's real positions, 0 on its padding.</summary>
    public static long[] Mask(IReadOnlyList<int> lengths, int width)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        var mask = new long[lengths.Count * width];
        for (var r = 0; r < lengths.Count; r++)
        {
            if (lengths[r] > width) throw new ArgumentException($"row {r} has {lengths[r]} positions, more than the batch width {width}.", nameof(lengths));
            Array.Fill(mask, 1L, r * width, lengths[r]);
        }
        return mask;
    }
}
