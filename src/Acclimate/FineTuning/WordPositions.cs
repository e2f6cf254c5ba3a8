using Acclimate.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// The label-bearing token positions of a batch (first subwords), gathered into a compact
/// [batch, words] layout: <see cref="TokenIndex"/> holds, for the w-th word of each row, the
/// index of its token, and <see cref="Mask"/> marks the real words (rows are right-padded). The
/// CRF runs on this layout, so it sees one step per word, never a continuation subword.
/// </summary>
public sealed class WordPositions : IDisposable
{
    private WordPositions(Tensor tokenIndex, Tensor mask)
    {
        TokenIndex = tokenIndex;
        Mask = mask;
    }

    /// <summary>[batch, words] int64 token positions (0 where <see cref="Mask"/> is false).</summary>
    public Tensor TokenIndex { get; }

    /// <summary>[batch, words] bool: true for real words, a prefix of each row.</summary>
    public Tensor Mask { get; }

    /// <summary>The padded word count (columns of <see cref="Mask"/>).</summary>
    public long MaxWords => Mask.shape[1];

    /// <summary>
    /// Compacts <paramref name="wordStarts"/> [batch, length] (bool or 0/1) in order, vectorized:
    /// each start's rank within its row (a cumulative sum) is its column, and the position is
    /// scattered there. One host sync reads the widest row's word count.
    /// </summary>
    public static WordPositions FromWordStarts(Tensor wordStarts)
    {
        if (wordStarts.dim() != 2) throw new DataException($"word starts must be [batch, length]; got [{string.Join(", ", wordStarts.shape)}].");
        using var scope = NewDisposeScope();
        var starts = wordStarts.dtype == ScalarType.Bool ? wordStarts : wordStarts.ne(0);
        var batch = starts.shape[0];
        var length = starts.shape[1];
        var counts = starts.sum(1);
        var words = length == 0 ? 0 : counts.max().item<long>();
        var rank = starts.to(ScalarType.Int64).cumsum(1) - 1;
        // Non-starts go to a spare last column that is cut off afterwards.
        var column = where(starts, rank, full_like(rank, words));
        var positions = arange(length, dtype: ScalarType.Int64, device: starts.device).unsqueeze(0).expand(batch, length);
        var index = zeros(new[] { batch, words + 1 }, dtype: ScalarType.Int64, device: starts.device)
            .scatter_(1, column, positions).narrow(1, 0, words);
        var mask = arange(words, dtype: ScalarType.Int64, device: starts.device).unsqueeze(0).lt(counts.unsqueeze(1));
        index = index.masked_fill(mask.logical_not(), 0);
        return new WordPositions(index.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <summary>Per-token values [batch, length, …] → per-word values [batch, words, …].</summary>
    public Tensor Gather(Tensor tokenValues)
    {
        if (tokenValues.dim() < 2 || tokenValues.shape[0] != TokenIndex.shape[0])
            throw new DataException($"word gather: values [{string.Join(", ", tokenValues.shape)}] do not match {TokenIndex.shape[0]} rows.");
        using var scope = NewDisposeScope();
        var index = TokenIndex;
        var trailing = tokenValues.shape.Skip(2).ToArray();
        if (trailing.Length > 0)
        {
            var viewShape = new[] { index.shape[0], index.shape[1] }.Concat(trailing.Select(_ => 1L)).ToArray();
            var expandShape = new[] { index.shape[0], index.shape[1] }.Concat(trailing).ToArray();
            index = index.reshape(viewShape).expand(expandShape);
        }
        return tokenValues.gather(1, index).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        TokenIndex.Dispose();
        Mask.Dispose();
    }
}
