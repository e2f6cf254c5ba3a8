using static TorchSharp.torch;

namespace Acclimate.Adaptation.Selection;

/// <summary>
/// Embedding kNN selection (kNN-TAPT, Gururangan et al. 2020): for every target example its k
/// nearest pool documents by cosine similarity; the union, de-duplicated, ranked by each document's
/// best similarity to any target example. The pool arrives in blocks and is scored with one matrix
/// product per block, keeping only a running top-k per target, so memory is bounded by
/// targets × (k + block) whatever the pool's size.
/// </summary>
public static class NearestNeighbourSelection
{
    /// <param name="targets">Target embeddings, one row each (normalised here).</param>
    /// <param name="poolBlocks">Pool embeddings in consecutive blocks; the pool index runs across blocks.</param>
    /// <param name="k">Neighbours per target example.</param>
    public static IReadOnlyList<SelectedDocument> Select(IReadOnlyList<float[]> targets, IEnumerable<IReadOnlyList<float[]>> poolBlocks, int k)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(poolBlocks);
        if (targets.Count == 0) throw new ArgumentException("no target embeddings to select for.", nameof(targets));
        var dimension = targets[0].Length;
        long offset = 0;
        return Select(targets, poolBlocks.Select(block =>
        {
            var values = Flatten(block, dimension, $"pool (rows {offset}…)");
            offset += block.Count;
            return (values, block.Count);
        }), k);
    }

    /// <param name="targets">Target embeddings, one row each (normalised here).</param>
    /// <param name="poolBlocks">
    /// Pool embeddings in consecutive blocks of <c>Rows</c> rows, row after row in <c>Values</c> (which
    /// may be longer: a reused buffer; it is read before the next block is asked for), e.g.
    /// <see cref="IO.NpyMatrixFile.Reader.Blocks"/>. The pool index runs across blocks.
    /// </param>
    /// <param name="k">Neighbours per target example.</param>
    public static IReadOnlyList<SelectedDocument> Select(IReadOnlyList<float[]> targets, IEnumerable<(float[] Values, int Rows)> poolBlocks, int k)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(poolBlocks);
        if (targets.Count == 0) throw new ArgumentException("no target embeddings to select for.", nameof(targets));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var dimension = targets[0].Length;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var target = Normalized(tensor(Flatten(targets, dimension, "target"), new long[] { targets.Count, dimension }));
        Tensor? bestScores = null, bestIndex = null;
        long offset = 0;
        foreach (var (values, rows) in poolBlocks)
        {
            if (rows == 0) continue;
            if ((long)rows * dimension > values.Length)
                throw new Errors.DataException($"pool block at row {offset:N0}: {values.Length} values cannot hold {rows} rows of {dimension} (the target embeddings' width).");
            // Each block's temporaries die with its own scope; only the running top-k moves out.
            using var blockScope = NewDisposeScope();
            var exact = values.Length == rows * dimension ? values : values.AsSpan(0, rows * dimension).ToArray();
            var pool = Normalized(tensor(exact, new long[] { rows, dimension }));
            var scores = target.mm(pool.t());                                              // [T, B]
            var index = arange(offset, offset + rows, dtype: ScalarType.Int64).expand(targets.Count, rows);
            if (bestScores is not null)
            {
                scores = cat(new[] { bestScores, scores }, 1);
                index = cat(new[] { bestIndex!, index }, 1);
            }
            var keep = Math.Min(k, scores.shape[1]);
            var (top, at) = scores.topk((int)keep, dim: 1);
            var nextIndex = index.gather(1, at);
            bestScores?.Dispose();
            bestIndex?.Dispose();
            bestScores = top.MoveToOuterDisposeScope();
            bestIndex = nextIndex.MoveToOuterDisposeScope();
            offset += rows;
        }
        if (bestScores is null) return Array.Empty<SelectedDocument>();

        var scoresFlat = bestScores.contiguous().data<float>().ToArray();
        var indexFlat = bestIndex!.contiguous().data<long>().ToArray();
        var width = (int)bestScores.shape[1];
        var best = new Dictionary<int, SelectedDocument>();
        for (var t = 0; t < targets.Count; t++)
            for (var j = 0; j < width; j++)
            {
                var pool = (int)indexFlat[t * width + j];
                var score = scoresFlat[t * width + j];
                if (!best.TryGetValue(pool, out var seen) || score > seen.Score) best[pool] = new SelectedDocument(pool, score, t);
            }
        return best.Values.OrderByDescending(d => d.Score).ThenBy(d => d.PoolIndex).ToList();
    }

    private static float[] Flatten(IReadOnlyList<float[]> rows, int dimension, string what)
    {
        var data = new float[rows.Count * dimension];
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].Length != dimension)
                throw new Errors.DataException($"{what} embedding {r} has {rows[r].Length} values; the target embeddings have {dimension}.");
            Array.Copy(rows[r], 0, data, r * dimension, dimension);
        }
        return data;
    }

    private static Tensor Normalized(Tensor m) => nn.functional.normalize(m, p: 2, dim: 1);
}
