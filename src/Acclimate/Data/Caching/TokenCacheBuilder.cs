using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Acclimate.Checkpoints;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Tokenization;
using Acclimate.IO;

namespace Acclimate.Data.Caching;

/// <summary>Progress of a cache build: documents and tokens so far, elapsed time.</summary>
public readonly record struct TokenCacheProgress(int Documents, long Tokens, TimeSpan Elapsed);

/// <summary>
/// Tokenizes a corpus once into a <see cref="TokenCache"/>. The cache folder's name is a key over
/// the corpus files (paths, sizes, modification times, reading options) and the tokenizer's
/// files, so the same corpus and tokenizer reuse it across epochs and runs, and any change makes a
/// new one. Documents are tokenized in parallel in ordered chunks; output streams to disk, so
/// memory does not grow with the corpus. The finished folder appears by rename, never half-built.
/// </summary>
public static class TokenCacheBuilder
{
    private const int ChunkDocuments = 256;

    /// <summary>
    /// Returns the cache for (<paramref name="corpus"/>, <paramref name="tokenizerFolder"/>) under
    /// <paramref name="cacheRoot"/>, building it first if it does not exist.
    /// </summary>
    public static TokenCache GetOrBuild(CorpusReader corpus, ITextTokenizer tokenizer, string tokenizerFolder, string cacheRoot,
        IProgress<TokenCacheProgress>? progress = null, int? threads = null)
    {
        var tokenizerFingerprint = FingerprintFiles(Directory.GetFiles(tokenizerFolder)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".safetensors", StringComparison.Ordinal)));
        var corpusDescription = $"{string.Join(";", corpus.Files())} mode={corpus.Options.Mode} format={corpus.Options.Format} field={corpus.Options.TextField}";
        var corpusFingerprint = FingerprintFiles(corpus.Files(), corpusDescription);
        var key = Hash(tokenizerFingerprint + "|" + corpusFingerprint)[..16];
        var folder = Path.Combine(cacheRoot, "tokens-" + key);
        if (File.Exists(Path.Combine(folder, TokenCache.MetaFile))) return TokenCache.Open(folder);
        Build(corpus.Documents().Select(d => d.Text), tokenizer, folder, key, tokenizerFingerprint, corpusDescription, progress, threads);
        return TokenCache.Open(folder);
    }

    /// <summary>Tokenizes <paramref name="texts"/> (without special tokens) into a new cache at <paramref name="folder"/>.</summary>
    public static void Build(IEnumerable<string> texts, ITextTokenizer tokenizer, string folder, string key, string tokenizerFingerprint,
        string corpusDescription, IProgress<TokenCacheProgress>? progress = null, int? threads = null)
    {
        var options = new EncodeOptions { AddSpecialTokens = false };
        var clock = Stopwatch.StartNew();
        AtomicFolder.Write(folder, temp =>
        {
            int documents = 0;
            long tokens = 0;
            using (var ids = new BinaryWriter(new FileStream(Path.Combine(temp, TokenCache.IdsFile), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20)))
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
                        foreach (var id in doc) ids.Write(id);
                        tokens += doc.Length;
                        docs.Write(tokens);
                        documents++;
                    }
                    progress?.Report(new TokenCacheProgress(documents, tokens, clock.Elapsed));
                }
            }
            if (documents == 0) throw new DataException($"{corpusDescription}: the corpus has no documents.");
            if (tokens == 0) throw new DataException($"{corpusDescription}: the corpus has {documents} documents but no tokens.");
            var meta = new TokenCacheMeta(key, tokenizerFingerprint, corpusDescription, documents, tokens, tokenizer.VocabSize, DateTime.UtcNow);
            File.WriteAllText(Path.Combine(temp, TokenCache.MetaFile), JsonSerializer.Serialize(meta, new JsonSerializerOptions { WriteIndented = true }));
        });
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
