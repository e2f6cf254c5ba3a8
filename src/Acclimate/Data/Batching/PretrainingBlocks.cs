using Acclimate.Data.Caching;
using Acclimate.Errors;

namespace Acclimate.Data.Batching;

/// <summary>How pretraining sequences are cut from a token cache.</summary>
public enum BlockMode
{
    /// <summary>Documents joined with a separator and cut into full blocks (HF run_mlm's group_texts); the tail shorter than a block is dropped.</summary>
    Packed,
    /// <summary>One sequence per document, truncated to the block (HF --line_by_line); nothing is packed.</summary>
    LineByLine,
}

/// <summary>
/// Fixed-length pretraining sequences over a <see cref="TokenCache"/>, each wrapped as
/// <c>[CLS] … [SEP]</c> (or the model's equivalents). In packed mode block k covers positions
/// [k·n, (k+1)·n) of the virtual stream "doc₀ SEP doc₁ SEP …" with n = blockSize − 2, found by a
/// binary search over document starts, so no block list is kept in memory.
/// </summary>
public sealed class PretrainingBlocks
{
    private readonly TokenCache _cache;
    private readonly int _content;
    private readonly int[] _nonEmptyDocs;

    /// <summary>Lays out the blocks of <paramref name="cache"/>.</summary>
    /// <param name="cache">The tokenized corpus.</param>
    /// <param name="blockSize">Tokens per block, the two special tokens included (at least 8).</param>
    /// <param name="mode">Packed or line by line.</param>
    /// <param name="clsId">Id placed first in every block.</param>
    /// <param name="sepId">Id placed last in every block (and between documents when packed).</param>
    /// <exception cref="Acclimate.Errors.DataException">The block size is below 8, or the corpus has less than one block.</exception>
    public PretrainingBlocks(TokenCache cache, int blockSize, BlockMode mode, int clsId, int sepId)
    {
        if (blockSize < 8) throw new DataException($"block size {blockSize} is too small (at least 8).");
        _cache = cache;
        BlockSize = blockSize;
        Mode = mode;
        ClsId = clsId;
        SepId = sepId;
        _content = blockSize - 2;
        _nonEmptyDocs = Enumerable.Range(0, cache.DocumentCount).Where(d => cache.DocumentLength(d) > 0).ToArray();
        Count = mode == BlockMode.Packed
            ? checked((int)((cache.TokenCount + cache.DocumentCount) / _content))
            : _nonEmptyDocs.Length;
        if (Count == 0)
            throw new DataException($"{cache.Meta.CorpusDescription}: the corpus has {cache.TokenCount} tokens, less than one block of {blockSize} " +
                                    "(use a smaller block size or more text).");
    }

    /// <summary>Tokens per block, special tokens included.</summary>
    public int BlockSize { get; }
    /// <summary>How the blocks were cut.</summary>
    public BlockMode Mode { get; }
    /// <summary>The id placed first in every block.</summary>
    public int ClsId { get; }
    /// <summary>The id placed last in every block (and between packed documents).</summary>
    public int SepId { get; }
    /// <summary>Number of blocks.</summary>
    public int Count { get; }

    /// <summary>Line by line: the token cache document block <paramref name="index"/> holds (documents without tokens have no block).</summary>
    public int DocumentOf(int index)
    {
        if (Mode != BlockMode.LineByLine) throw new InvalidOperationException("packed blocks span documents; only line-by-line blocks belong to one.");
        if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index), $"block {index} of {Count}");
        return _nonEmptyDocs[index];
    }

    /// <summary>The ids of block <paramref name="index"/>, with [CLS] first and [SEP] last.</summary>
    public int[] Block(int index)
    {
        if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index), $"block {index} of {Count}");
        if (Mode == BlockMode.LineByLine)
        {
            var doc = _cache.Document(_nonEmptyDocs[index]);
            var length = Math.Min(doc.Length, _content);
            var line = new int[length + 2];
            line[0] = ClsId;
            Array.Copy(doc, 0, line, 1, length);
            line[^1] = SepId;
            return line;
        }
        var block = new int[BlockSize];
        block[0] = ClsId;
        block[^1] = SepId;
        var virtualPos = (long)index * _content;
        var filled = 0;
        var docIndex = DocumentAtVirtual(virtualPos);
        var offset = virtualPos - VirtualStart(docIndex);
        while (filled < _content)
        {
            var docLength = _cache.DocumentLength(docIndex);
            if (offset < docLength)
            {
                var take = (int)Math.Min(docLength - offset, _content - filled);
                _cache.Read(_cache.DocumentStart(docIndex) + offset, block.AsSpan(1 + filled, take));
                filled += take;
                offset += take;
            }
            else
            {
                block[1 + filled++] = SepId;   // the separator after each document
                docIndex++;
                offset = 0;
            }
        }
        return block;
    }

    /// <summary>A permutation of the block indices for an epoch, reproducible from (seed, epoch).</summary>
    public int[] EpochOrder(int seed, int epoch)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        // Seeded System.Random is stable across processes (HashCode.Combine would not be).
        new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order);
        return order;
    }

    // Virtual start of document d: its flat start plus one separator per earlier document.
    private long VirtualStart(int d) => _cache.DocumentStart(d) + d;

    private int DocumentAtVirtual(long position)
    {
        int lo = 0, hi = _cache.DocumentCount - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (VirtualStart(mid) <= position) lo = mid; else hi = mid - 1;
        }
        return lo;
    }
}
