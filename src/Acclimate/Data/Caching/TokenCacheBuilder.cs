using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Acclimate.Checkpoints;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Tokenization;
using Acclimate.IO;

namespace Acclimate.Data.Caching;

/// <summary>Progress of a cache build: documents and tokens so far, elapsed time, shards started.</summary>
public readonly record struct TokenCacheProgress(int Documents, long Tokens, TimeSpan Elapsed, int Shards = 1)
{
    /// <summary>Tokens written per second of wall time so far (0 before any time has passed).</summary>
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Tokenizes a corpus once into a <see cref="TokenCache"/>. The cache folder's name is a key over
/// the corpus files (paths, sizes, modification times, reading options) and the tokenizer's
/// files, so the same corpus and tokenizer reuse it across epochs and runs, and any change makes a
/// new one. The corpus is streamed (<see cref="CorpusReader"/>: plain text, JSONL, gzip, Parquet);
/// documents are tokenized in parallel in ordered chunks and their ids stream to shard files of
/// <c>shardTokens</c> ids each, so memory holds one chunk of documents whatever the corpus's size.
/// The finished folder appears by rename, never half-built.
/// </summary>
public static class TokenCacheBuilder
{
    private const int ChunkDocuments = 256;

    /// <summary>Default ids per shard: 2^28 (a 1 GiB file).</summary>
    public const long DefaultShardTokens = 1L << 28;

    /// <summary>
    /// Returns the cache for (<paramref name="corpus"/>, <paramref name="tokenizerFolder"/>) under
    /// <paramref name="cacheRoot"/>, building it first if it does not exist.
    /// </summary>
    /// <param name="shardTokens">Ids per shard file of a new cache (default <see cref="DefaultShardTokens"/>); an existing cache is reused whatever its sharding.</param>
    public static TokenCache GetOrBuild(CorpusReader corpus, ITextTokenizer tokenizer, string tokenizerFolder, string cacheRoot,
        IProgress<TokenCacheProgress>? progress = null, int? threads = null, long shardTokens = DefaultShardTokens)
    {
        var folder = CacheFolder(corpus, tokenizerFolder, cacheRoot, out var key, out var tokenizerFingerprint, out var corpusDescription);
        if (File.Exists(Path.Combine(folder, TokenCache.MetaFile))) return TokenCache.Open(folder);
        Build(corpus.Documents().Select(d => d.Text), tokenizer, folder, key, tokenizerFingerprint, corpusDescription, progress, threads, shardTokens);
        return TokenCache.Open(folder);
    }

    /// <summary>The folder <see cref="GetOrBuild"/> uses for this corpus and tokenizer (whether or not it exists yet).</summary>
    public static string CacheFolder(CorpusReader corpus, string tokenizerFolder, string cacheRoot) =>
        CacheFolder(corpus, tokenizerFolder, cacheRoot, out _, out _, out _);

    private static string CacheFolder(CorpusReader corpus, string tokenizerFolder, string cacheRoot, out string key, out string tokenizerFingerprint, out string corpusDescription)
    {
        tokenizerFingerprint = FingerprintFiles(Directory.GetFiles(tokenizerFolder)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".safetensors", StringComparison.Ordinal)));
        corpusDescription = $"{string.Join(";", corpus.Files())} mode={corpus.Options.Mode} format={corpus.Options.Format} field={corpus.Options.TextField}";
        var corpusFingerprint = FingerprintFiles(corpus.Files(), corpusDescription);
        key = Hash(tokenizerFingerprint + "|" + corpusFingerprint)[..16];
        return Path.Combine(cacheRoot, "tokens-" + key);
    }

    /// <summary>Tokenizes <paramref name="texts"/> (without special tokens) into a new cache at <paramref name="folder"/>.</summary>
    public static void Build(IEnumerable<string> texts, ITextTokenizer tokenizer, string folder, string key, string tokenizerFingerprint,
        string corpusDescription, IProgress<TokenCacheProgress>? progress = null, int? threads = null, long shardTokens = DefaultShardTokens)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (shardTokens < 1) throw new ArgumentOutOfRangeException(nameof(shardTokens), shardTokens, "A shard holds at least one token.");
        var options = new EncodeOptions { AddSpecialTokens = false };
        var clock = Stopwatch.StartNew();
        try { WriteCache(); }
        catch (IOException e)
        {
            // A full disk or an unwritable cache root is common at scale: say so, not with a stack trace.
            throw new DataException($"{folder}: the token cache could not be written ({e.Message}); nothing was left behind. " +
                                    "Free disk space or put the cache on another disk (run.token_cache, --token-cache).", e);
        }

        void WriteCache() => AtomicFolder.Write(folder, temp =>
        {
            int documents = 0;
            using var ids = new ShardWriter(temp, shardTokens);
            using (var docs = new BinaryWriter(new FileStream(Path.Combine(temp, TokenCache.DocsFile), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16)))
            {
                docs.Write(0L);
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads ?? Environment.ProcessorCount };
                foreach (var chunk in texts.Chunk(ChunkDocuments))
                {
                    var encoded = new int[chunk.Length][];
                    Parallel.For(0, chunk.Length, parallel, i => encoded[i] = tokenizer.Encode(chunk[i], null, options).ToIdArray());
                    foreach (var doc in encoded)
                    {
                        if (documents == int.MaxValue) throw new DataException($"{corpusDescription}: more than {int.MaxValue:N0} documents; split the corpus.");
                        ids.Write(doc);
                        docs.Write(ids.Tokens);
                        documents++;
                    }
                    progress?.Report(new TokenCacheProgress(documents, ids.Tokens, clock.Elapsed, ids.Files.Count));
                }
            }
            var files = ids.Finish();
            if (documents == 0) throw new DataException($"{corpusDescription}: the corpus has no documents.");
            if (ids.Tokens == 0) throw new DataException($"{corpusDescription}: the corpus has {documents} documents but no tokens.");
            var meta = new TokenCacheMeta(key, tokenizerFingerprint, corpusDescription, documents, ids.Tokens, tokenizer.VocabSize, DateTime.UtcNow,
                TokenCache.CurrentFormat, shardTokens, files);
            File.WriteAllText(Path.Combine(temp, TokenCache.MetaFile), JsonSerializer.Serialize(meta, new JsonSerializerOptions { WriteIndented = true }));
        });
    }

    /// <summary>Writes the flat id sequence into shard files of exactly <c>shardTokens</c> ids (the last one shorter).</summary>
    private sealed class ShardWriter(string folder, long shardTokens) : IDisposable
    {
        private FileStream? _current;
        private long _inShard;

        public List<string> Files { get; } = new();
        public long Tokens { get; private set; }

        public void Write(ReadOnlySpan<int> ids)
        {
            while (ids.Length > 0)
            {
                if (_current is null || _inShard == shardTokens) Next();
                var take = (int)Math.Min(ids.Length, shardTokens - _inShard);
                _current!.Write(MemoryMarshal.AsBytes(ids[..take]));
                _inShard += take;
                Tokens += take;
                ids = ids[take..];
            }
        }

        /// <summary>Closes the last shard; a corpus without tokens still gets one (empty) shard file.</summary>
        public IReadOnlyList<string> Finish()
        {
            if (_current is null) Next();
            _current!.Dispose();
            return Files;
        }

        private void Next()
        {
            _current?.Dispose();
            var name = TokenCache.ShardFileName(Files.Count);
            _current = new FileStream(Path.Combine(folder, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            Files.Add(name);
            _inShard = 0;
        }

        public void Dispose() => _current?.Dispose();
    }

    private static string FingerprintFiles(IEnumerable<string> files, string extra = "")
    {
        var text = new StringBuilder(extra);
        foreach (var f in files.OrderBy(f => f, StringComparer.Ordinal))
        {
            var info = new FileInfo(f);
            text.Append('|').Append(Path.GetFullPath(f)).Append(':').Append(info.Length).Append(':').Append(info.LastWriteTimeUtc.Ticks);
        }
        return Hash(text.ToString());
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}
