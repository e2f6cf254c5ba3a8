namespace Acclimate.Tokenization;

/// <summary>
/// A batch of encodings padded on the right into rectangular model inputs. The arrays are fresh
/// copies owned by the caller (ready for <c>torch.tensor</c>).
/// </summary>
public sealed class TokenizedBatch
{
    internal TokenizedBatch(IReadOnlyList<TokenizedText> items, long[,] inputIds, long[,] attentionMask, long[,] tokenTypeIds)
    {
        Items = items;
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
    }

    /// <summary>The unpadded encodings, in input order.</summary>
    public IReadOnlyList<TokenizedText> Items { get; }

    /// <summary>[batch, length] token ids; padding positions hold the pad token id.</summary>
    public long[,] InputIds { get; }

    /// <summary>[batch, length] 1 for real tokens, 0 for padding.</summary>
    public long[,] AttentionMask { get; }

    /// <summary>[batch, length] segment ids; padding positions hold 0.</summary>
    public long[,] TokenTypeIds { get; }

    /// <summary>Number of rows.</summary>
    public int BatchSize => InputIds.GetLength(0);

    /// <summary>Padded length of every row.</summary>
    public int SequenceLength => InputIds.GetLength(1);
}
