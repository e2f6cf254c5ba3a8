using System.IO.MemoryMappedFiles;
using System.Text.Json;
using Acclimate.Errors;

namespace Acclimate.Data.Caching;

/// <summary>
/// A tokenized corpus on disk. Every document's token ids (int32, no special tokens) lie back to back
/// in one flat sequence, cut into shard files of <see cref="TokenCacheMeta.ShardTokens"/> ids each
/// (<c>ids-00000.bin</c>, <c>ids-00001.bin</c>, …; the last one shorter), so a document may continue
/// from one shard into the next; <c>docs.bin</c> holds the int64 flat start of each document plus the
/// end, and <c>meta.json</c> what was tokenized with what and which shard files make up the sequence.
/// Everything is memory-mapped, each shard on first use, so opening a cache of any size costs
/// almost nothing and epochs after the first never tokenize again. Build one with
/// <see cref="TokenCacheBuilder"/>.
/// </summary>
/// <remarks>
/// Caches written before sharding (format 1: a single <c>ids.bin</c>, no shard list in meta.json)
/// open as a cache of one shard. A format newer than this build knows is refused with a message
/// saying to rebuild.
/// </remarks>
public sealed class TokenCache : IDisposable
{
    /// <summary>File name of the flat int32 token ids in a format-1 (unsharded) cache.</summary>
    public const string IdsFile = "ids.bin";
    /// <summary>File name of the int64 document start offsets (plus the end).</summary>
    public const string DocsFile = "docs.bin";
    /// <summary>File name of the JSON description of the corpus, tokenizer and shards.</summary>
    public const string MetaFile = "meta.json";
    /// <summary>The format this build writes: 2 = sharded ids.</summary>
    public const int CurrentFormat = 2;

    /// <summary>The file name of shard <paramref name="index"/>.</summary>
    public static string ShardFileName(int index) => $"ids-{index:D5}.bin";

    private readonly MemoryMappedFile _docsMap;
    private readonly MemoryMappedViewAccessor _docs;
    private readonly Shard[] _shards;
    private readonly long _shardTokens;
    private readonly long _documents;
    private bool _disposed;

    private TokenCache(string folder, TokenCacheMeta meta, MemoryMappedFile docsMap, MemoryMappedViewAccessor docs, Shard[] shards, long shardTokens)
    {
        Folder = folder;
        Meta = meta;
        _docsMap = docsMap;
        _docs = docs;
        _shards = shards;
        _shardTokens = shardTokens;
        _documents = meta.Documents;
        TokenCount = meta.Tokens;
    }

    /// <summary>The cache folder.</summary>
    public string Folder { get; }
    /// <summary>What was tokenized, with which tokenizer.</summary>
    public TokenCacheMeta Meta { get; }
    /// <summary>Number of documents (empty ones included).</summary>
    public int DocumentCount => (int)_documents;
    /// <summary>Number of tokens over all documents.</summary>
    public long TokenCount { get; }
    /// <summary>Number of shard files the ids are cut into.</summary>
    public int ShardCount => _shards.Length;

    /// <summary>Opens a cache folder written by <see cref="TokenCacheBuilder"/> (or by a build before sharding), checking that its files agree.</summary>
    public static TokenCache Open(string folder)
    {
        var metaPath = Path.Combine(folder, MetaFile);
        if (!File.Exists(metaPath)) throw new DataException($"{folder}: not a token cache ({MetaFile} missing).");
        TokenCacheMeta meta;
        try { meta = JsonSerializer.Deserialize<TokenCacheMeta>(File.ReadAllText(metaPath)) ?? throw new DataException($"{metaPath}: empty."); }
        catch (JsonException e) { throw new DataException($"{metaPath}: not valid JSON ({e.Message}); delete the folder to rebuild the cache.", e); }
        if (meta.Format > CurrentFormat)
            throw new DataException($"{metaPath}: token cache format {meta.Format}, newer than this build reads (up to {CurrentFormat}); delete the folder to rebuild it, or use the newer build.");
        if (meta.Documents < 0 || meta.Tokens < 0)
            throw new DataException($"{metaPath}: negative document or token count; delete the folder to rebuild the cache.");

        // Shard layout: format 1 is one ids.bin holding everything.
        string[] shardFiles;
        long shardTokens;
        if (meta.Format <= 1)
        {
            shardFiles = new[] { IdsFile };
            shardTokens = Math.Max(meta.Tokens, 1);
        }
        else
        {
            shardFiles = meta.ShardFiles?.ToArray() ?? Array.Empty<string>();
            shardTokens = meta.ShardTokens;
            if (shardTokens < 1) throw new DataException($"{metaPath}: shard_tokens {shardTokens}; expected 1 or more. Delete the folder to rebuild the cache.");
            var expected = meta.Tokens == 0 ? 1 : (meta.Tokens + shardTokens - 1) / shardTokens;
            if (shardFiles.Length != expected)
                throw new DataException($"{metaPath}: lists {shardFiles.Length} shard files; {meta.Tokens:N0} tokens in shards of {shardTokens:N0} need {expected}. Delete the folder to rebuild the cache.");
        }
        var shards = new Shard[shardFiles.Length];
        for (var i = 0; i < shards.Length; i++)
        {
            if (shardFiles[i].Contains('/') || shardFiles[i].Contains('\\') || shardFiles[i].Contains(".."))
                throw new DataException($"{metaPath}: shard file name '{shardFiles[i]}' is not a plain file name.");
            var path = Path.Combine(folder, shardFiles[i]);
            var want = Math.Min(shardTokens, meta.Tokens - i * shardTokens);
            if (!File.Exists(path))
                throw new DataException($"{path}: shard {i} of the token cache is missing; delete {folder} to rebuild the cache.");
            var length = new FileInfo(path).Length;
            if (length != want * 4)
                throw new DataException($"{path}: holds {length / 4:N0} tokens; {MetaFile} says shard {i} holds {want:N0} ({meta.Tokens:N0} tokens in all). Delete the folder to rebuild the cache.");
            shards[i] = new Shard(path, want);
        }

        var docsPath = Path.Combine(folder, DocsFile);
        if (!File.Exists(docsPath)) throw new DataException($"{docsPath}: missing; delete {folder} to rebuild the cache.");
        var docBytes = new FileInfo(docsPath).Length;
        if (docBytes % 8 != 0 || docBytes / 8 != meta.Documents + 1L)
            throw new DataException($"{docsPath}: holds {docBytes} bytes; expected {(meta.Documents + 1L) * 8} for {meta.Documents} documents.");
        var docsMap = MemoryMappedFile.CreateFromFile(docsPath, FileMode.Open, null, docBytes, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? docs = null;
        try
        {
            docs = docsMap.CreateViewAccessor(0, docBytes, MemoryMappedFileAccess.Read);
            // One sequential pass over the offsets (through the map, not into memory).
            var previous = docs.ReadInt64(0);
            if (previous != 0) throw new DataException($"{docsPath}: the first document starts at {previous}; expected 0.");
            for (long i = 1; i <= meta.Documents; i++)
            {
                var start = docs.ReadInt64(i * 8);
                if (start < previous) throw new DataException($"{docsPath}: document offsets decrease at document {i - 1}.");
                previous = start;
            }
            if (previous != meta.Tokens)
                throw new DataException($"{docsPath}: the documents end at token {previous:N0}; {MetaFile} says {meta.Tokens:N0} tokens.");
            return new TokenCache(folder, meta, docsMap, docs, shards, shardTokens);
        }
        catch
        {
            docs?.Dispose();
            docsMap.Dispose();
            throw;
        }
    }

    /// <summary>Tokens in document <paramref name="index"/>.</summary>
    public int DocumentLength(int index) => checked((int)(DocumentStart(index + 1) - DocumentStart(index)));

    /// <summary>The ids of document <paramref name="index"/> (a fresh array).</summary>
    public int[] Document(int index)
    {
        var result = new int[DocumentLength(index)];
        Read(DocumentStart(index), result);
        return result;
    }

    /// <summary>Copies <paramref name="destination"/>.Length ids starting at flat position <paramref name="start"/>, across shard boundaries if need be.</summary>
    public void Read(long start, Span<int> destination)
    {
        if (start < 0 || start + destination.Length > TokenCount)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + destination.Length}) is outside the cache's {TokenCount} tokens.");
        ObjectDisposedException.ThrowIf(_disposed, this);
        var done = 0;
        while (done < destination.Length)
        {
            var position = start + done;
            var shard = (int)(position / _shardTokens);
            var offset = position - shard * _shardTokens;
            var count = (int)Math.Min(destination.Length - done, _shards[shard].Tokens - offset);
            _shards[shard].Read(offset, destination.Slice(done, count));
            done += count;
        }
    }

    /// <summary>Flat position where document <paramref name="index"/> starts (<see cref="DocumentCount"/> gives the end).</summary>
    public long DocumentStart(int index)
    {
        if ((uint)index > (ulong)_documents) throw new ArgumentOutOfRangeException(nameof(index), $"document {index} of {_documents}.");
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _docs.ReadInt64(index * 8L);
    }

    /// <summary>Releases the memory maps.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var shard in _shards) shard.Dispose();
        _docs.Dispose();
        _docsMap.Dispose();
    }

    /// <summary>One shard file, memory-mapped on first read.</summary>
    private sealed class Shard(string path, long tokens) : IDisposable
    {
        private readonly Lock _gate = new();
        private MemoryMappedFile? _map;
        private MemoryMappedViewAccessor? _view;

        public long Tokens { get; } = tokens;

        public unsafe void Read(long offset, Span<int> destination)
        {
            var view = _view ?? Map();
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            try
            {
                new ReadOnlySpan<int>(pointer + view.PointerOffset + offset * 4, destination.Length).CopyTo(destination);
            }
            finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
        }

        private MemoryMappedViewAccessor Map()
        {
            lock (_gate)
            {
                if (_view is not null) return _view;
                _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
                _view = _map.CreateViewAccessor(0, Tokens * 4, MemoryMappedFileAccess.Read);
                return _view;
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _view?.Dispose();
                _map?.Dispose();
            }
        }
    }
}

/// <summary>What a token cache holds and how it was made (meta.json).</summary>
/// <param name="Format">1: one <c>ids.bin</c> (caches written before sharding; the field is absent there); 2: shard files.</param>
/// <param name="ShardTokens">Format 2: ids per shard file (the last shard holds the rest).</param>
/// <param name="ShardFiles">Format 2: the shard file names in order.</param>
public sealed record TokenCacheMeta(
    string Key,
    string TokenizerFingerprint,
    string CorpusDescription,
    int Documents,
    long Tokens,
    int VocabSize,
    DateTime CreatedUtc,
    int Format = 1,
    long ShardTokens = 0,
    IReadOnlyList<string>? ShardFiles = null);
