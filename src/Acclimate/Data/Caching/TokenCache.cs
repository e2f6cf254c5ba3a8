using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;
using Acclimate.Errors;

namespace Acclimate.Data.Caching;

/// <summary>
/// A tokenized corpus on disk: <c>ids.bin</c> holds every document's token ids (int32, no special
/// tokens) back to back, <c>docs.bin</c> the int64 start offset of each document plus the end, and
/// <c>meta.json</c> what was tokenized with what. Both binaries are memory-mapped, so opening a
/// cache of any size costs almost nothing and epochs after the first never tokenize again.
/// Build one with <see cref="TokenCacheBuilder"/>.
/// </summary>
public sealed class TokenCache : IDisposable
{
    /// <summary>File name of the flat int32 token ids.</summary>
    public const string IdsFile = "ids.bin";
    /// <summary>File name of the int64 document start offsets (plus the end).</summary>
    public const string DocsFile = "docs.bin";
    /// <summary>File name of the JSON description of the corpus and tokenizer.</summary>
    public const string MetaFile = "meta.json";

    private readonly MemoryMappedFile _idsMap;
    private readonly MemoryMappedViewAccessor _ids;
    private readonly long[] _docStarts;

    private TokenCache(string folder, TokenCacheMeta meta, MemoryMappedFile idsMap, MemoryMappedViewAccessor ids, long[] docStarts)
    {
        Folder = folder;
        Meta = meta;
        _idsMap = idsMap;
        _ids = ids;
        _docStarts = docStarts;
    }

    /// <summary>The cache folder.</summary>
    public string Folder { get; }
    /// <summary>What was tokenized, with which tokenizer.</summary>
    public TokenCacheMeta Meta { get; }
    /// <summary>Number of documents (empty ones included).</summary>
    public int DocumentCount => _docStarts.Length - 1;
    /// <summary>Number of tokens over all documents.</summary>
    public long TokenCount => _docStarts[^1];

    /// <summary>Opens a cache folder written by <see cref="TokenCacheBuilder"/>, checking that its files agree.</summary>
    public static TokenCache Open(string folder)
    {
        var metaPath = Path.Combine(folder, MetaFile);
        if (!File.Exists(metaPath)) throw new DataException($"{folder}: not a token cache ({MetaFile} missing).");
        TokenCacheMeta meta;
        try { meta = JsonSerializer.Deserialize<TokenCacheMeta>(File.ReadAllText(metaPath)) ?? throw new DataException($"{metaPath}: empty."); }
        catch (JsonException e) { throw new DataException($"{metaPath}: not valid JSON ({e.Message}).", e); }

        var docsPath = Path.Combine(folder, DocsFile);
        var docBytes = File.ReadAllBytes(docsPath);
        if (docBytes.Length % 8 != 0 || docBytes.Length / 8 != meta.Documents + 1)
            throw new DataException($"{docsPath}: holds {docBytes.Length} bytes; expected {(meta.Documents + 1) * 8} for {meta.Documents} documents.");
        var starts = MemoryMarshal.Cast<byte, long>(docBytes).ToArray();
        var idsPath = Path.Combine(folder, IdsFile);
        var idsLength = new FileInfo(idsPath).Length;
        if (idsLength != starts[^1] * 4 || starts[^1] != meta.Tokens)
            throw new DataException($"{idsPath}: holds {idsLength / 4} tokens; {DocsFile} and {MetaFile} say {starts[^1]} and {meta.Tokens}.");
        for (var i = 1; i < starts.Length; i++)
            if (starts[i] < starts[i - 1]) throw new DataException($"{docsPath}: document offsets decrease at document {i - 1}.");
        // An empty file cannot be mapped; an all-empty cache is still a valid (if useless) cache.
        var map = MemoryMappedFile.CreateFromFile(idsPath, FileMode.Open, null, Math.Max(idsLength, 1), MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, idsLength, MemoryMappedFileAccess.Read);
            return new TokenCache(folder, meta, map, view, starts);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>Tokens in document <paramref name="index"/>.</summary>
    public int DocumentLength(int index) => checked((int)(_docStarts[index + 1] - _docStarts[index]));

    /// <summary>The ids of document <paramref name="index"/> (a fresh array).</summary>
    public int[] Document(int index)
    {
        var result = new int[DocumentLength(index)];
        _ids.ReadArray(_docStarts[index] * 4, result, 0, result.Length);
        return result;
    }

    /// <summary>Copies <paramref name="destination"/>.Length ids starting at flat position <paramref name="start"/>.</summary>
    public void Read(long start, Span<int> destination)
    {
        if (start < 0 || start + destination.Length > TokenCount)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + destination.Length}) is outside the cache's {TokenCount} tokens.");
        var buffer = new int[destination.Length];
        _ids.ReadArray(start * 4, buffer, 0, buffer.Length);
        buffer.CopyTo(destination);
    }

    /// <summary>Flat position where document <paramref name="index"/> starts.</summary>
    public long DocumentStart(int index) => _docStarts[index];

    /// <summary>Releases the memory maps.</summary>
    public void Dispose()
    {
        _ids.Dispose();
        _idsMap.Dispose();
    }
}

/// <summary>What a token cache holds and how it was made (meta.json).</summary>
public sealed record TokenCacheMeta(
    string Key,
    string TokenizerFingerprint,
    string CorpusDescription,
    int Documents,
    long Tokens,
    int VocabSize,
    DateTime CreatedUtc);
