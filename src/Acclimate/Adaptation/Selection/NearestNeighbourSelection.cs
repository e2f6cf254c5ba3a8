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
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var dimension = targets[0].Length;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var target = Normalized(Matrix(targets, dimension, "target"));
        Tensor? bestScores = null, bestIndex = null;
        long offset = 0;
        foreach (var block in poolBlocks)
        {
            if (block.Count == 0) continue;
            // Each block's temporaries die with its own scope; only the running top-k moves out.
            using var blockScope = NewDisposeScope();
            var pool = Normalized(Matrix(block, dimension, $"pool (rows {offset}…)"));
            var scores = target.mm(pool.t());                                              // [T, B]
            var index = arange(offset, offset + block.Count, dtype: ScalarType.Int64).expand(targets.Count, block.Count);
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
            offset += block.Count;
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

    private static Tensor Matrix(IReadOnlyList<float[]> rows, int dimension, string what)
    {
        var data = new float[rows.Count * dimension];
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].Length != dimension)
                throw new Errors.DataException($"{what} embedding {r} has {rows[r].Length} values; the target embeddings have {dimension}.");
            Array.Copy(rows[r], 0, data, r * dimension, dimension);
        }
        return tensor(data, new long[] { rows.Count, dimension });
    }

    private static Tensor Normalized(Tensor m) => nn.functional.normalize(m, p: 2, dim: 1);
}
