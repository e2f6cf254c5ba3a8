using TorchSharp;

namespace Acclimate.Checkpoints;

/// <summary>
/// Moves raw bytes between contiguous CPU tensors and memory or streams, in chunks: TorchSharp
/// exposes tensor memory as a <see cref="Span{T}"/>, which cannot exceed 2 GB, so larger tensors
/// are handled through 1-D slices of a flat view.
/// </summary>
internal static class SafetensorsTensorBytes
{
    /// <summary>Small enough for a span and for the write buffer to matter little; large enough that slicing costs nothing.</summary>
    public const long ChunkBytes = 16L << 20;

    /// <summary>Copies <paramref name="byteLength"/> bytes from <paramref name="source"/> into a freshly allocated contiguous CPU tensor.</summary>
    public static unsafe void CopyInto(torch.Tensor destination, byte* source, long byteLength)
    {
        if (byteLength == 0) return;
        ForEachChunk(destination, (chunk, byteOffset, chunkBytes) =>
            new ReadOnlySpan<byte>(source + byteOffset, checked((int)chunkBytes)).CopyTo(chunk.bytes));
    }

    /// <summary>Writes the bytes of a contiguous CPU tensor to <paramref name="stream"/>, in memory order.</summary>
    public static void WriteTo(torch.Tensor source, Stream stream)
    {
        if (source.NumberOfElements == 0) return;
        ForEachChunk(source, (chunk, _, _) => stream.Write(chunk.bytes));
    }

    private delegate void ChunkAction(torch.Tensor chunk, long byteOffset, long chunkBytes);

    private static void ForEachChunk(torch.Tensor tensor, ChunkAction action)
    {
        var elementSize = tensor.ElementSize;
        var elements = tensor.NumberOfElements;
        var chunkElements = Math.Max(1, ChunkBytes / elementSize);
        using var flat = tensor.reshape(-1);
        for (long start = 0; start < elements; start += chunkElements)
        {
            var count = Math.Min(chunkElements, elements - start);
            using var chunk = flat.narrow(0, start, count);
            action(chunk, start * elementSize, count * elementSize);
        }
    }
}
