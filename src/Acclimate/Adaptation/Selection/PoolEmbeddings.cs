using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Adaptation.Selection;

/// <summary>
/// A pool's sentence embeddings, block by block, optionally cached on disk as a <c>.npy</c> matrix
/// (one row per pool document, in pool order) with a JSON sidecar naming the model fingerprint and
/// the pool's content hash. The first selection embeds the pool and writes the cache as it goes
/// (published only when complete); later selections against the same pool and model — other target
/// sets, other k — read it back at disk speed. Memory stays at one block either way.
/// </summary>
public static class PoolEmbeddings
{
    /// <summary>
    /// Embeddings of the <paramref name="candidates"/> (pool indices, ascending) in blocks of at most
    /// <paramref name="blockSize"/> rows, in candidate order — the order <see cref="NearestNeighbourSelection"/>
    /// numbers them in. With <paramref name="cachePath"/>, reads that file when it exists (and belongs to
    /// this pool and model) or writes it, for the whole pool, while embedding.
    /// </summary>
    public static IEnumerable<(float[] Values, int Rows)> Blocks(SentenceEmbedder embedder, IReadOnlyList<string> pool,
        IReadOnlyList<int> candidates, int blockSize, string? cachePath)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        if (cachePath is null) return Embedded(embedder, pool, candidates, blockSize, writer: null);
        var sidecar = new JsonObject
        {
            ["format"] = "acclimate pool embeddings 1",
            ["model_fingerprint"] = embedder.Fingerprint,
            ["pool_sha256"] = ContentHash(pool),
            ["rows"] = pool.Count,
            ["dimension"] = embedder.Dimension,
        };
        if (File.Exists(cachePath)) return Cached(cachePath, sidecar, candidates, blockSize);
        return Written(embedder, pool, candidates, blockSize, cachePath, sidecar);
    }

    /// <summary>The sidecar file stored beside <paramref name="cachePath"/>.</summary>
    public static string SidecarPath(string cachePath) => cachePath + ".json";

    private static IEnumerable<(float[] Values, int Rows)> Written(SentenceEmbedder embedder, IReadOnlyList<string> pool,
        IReadOnlyList<int> candidates, int blockSize, string cachePath, JsonObject sidecar)
    {
        using var writer = NpyMatrixFile.Create(cachePath, pool.Count, embedder.Dimension);
        foreach (var block in Embedded(embedder, pool, candidates, blockSize, writer)) yield return block;
        writer.Commit();
        AtomicFile.WriteAllText(SidecarPath(cachePath), sidecar.ToJsonString(new() { WriteIndented = true }) + "\n");
    }

    private static IEnumerable<(float[] Values, int Rows)> Embedded(SentenceEmbedder embedder, IReadOnlyList<string> pool,
        IReadOnlyList<int> candidates, int blockSize, NpyMatrixFile.Writer? writer)
    {
        var dimension = embedder.Dimension;
        var isCandidate = CandidateMask(candidates, pool.Count);
        var output = new float[blockSize * dimension];
        var filled = 0;
        for (var start = 0; start < pool.Count; start += blockSize)
        {
            var count = Math.Min(blockSize, pool.Count - start);
            // Without a cache only candidates are embedded; with one, every document (the cache serves any --min-words).
            var indices = Enumerable.Range(start, count).Where(i => writer is not null || isCandidate[i]).ToArray();
            var vectors = embedder.Embed(indices.Select(i => pool[i]).ToArray());
            if (writer is not null)
                foreach (var v in vectors) writer.Append(v);
            for (var j = 0; j < indices.Length; j++)
            {
                if (!isCandidate[indices[j]]) continue;
                vectors[j].CopyTo(output, filled * dimension);
                if (++filled == blockSize)
                {
                    yield return (output, filled);
                    filled = 0;
                }
            }
        }
        if (filled > 0) yield return (output, filled);
    }

    private static IEnumerable<(float[] Values, int Rows)> Cached(string cachePath, JsonObject expected, IReadOnlyList<int> candidates, int blockSize)
    {
        var sidecarPath = SidecarPath(cachePath);
        if (!File.Exists(sidecarPath))
            throw new DataException($"{cachePath}: no {Path.GetFileName(sidecarPath)} beside it saying which pool and model it was embedded from; delete the file to embed the pool again, or name another --pool-embeddings file.");
        JsonNode? stored;
        try
        {
            stored = JsonNode.Parse(File.ReadAllText(sidecarPath));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new DataException($"{sidecarPath}: not valid JSON ({e.Message}).");
        }
        foreach (var (key, value) in expected)
        {
            var found = stored?[key]?.ToJsonString();
            if (found != value!.ToJsonString())
                throw new DataException($"{cachePath} was embedded from another {(key.StartsWith("pool", StringComparison.Ordinal) || key == "rows" ? "pool" : "model or embedding setting")} " +
                    $"({key}: {found ?? "missing"} there, {value.ToJsonString()} now); delete it to embed again, or name another --pool-embeddings file.");
        }
        using var reader = NpyMatrixFile.Open(cachePath);
        var rows = expected["rows"]!.GetValue<int>();
        var dimension = expected["dimension"]!.GetValue<int>();
        if (reader.Rows != rows || reader.Columns != dimension)
            throw new DataException($"{cachePath}: a ({reader.Rows}, {reader.Columns}) matrix, but the pool has {rows} documents and the model {dimension} dimensions.");
        var isCandidate = CandidateMask(candidates, rows);
        var output = new float[blockSize * dimension];
        var filled = 0;
        long row = 0;
        foreach (var (values, count) in reader.Blocks(blockSize))
        {
            for (var r = 0; r < count; r++, row++)
            {
                if (!isCandidate[row]) continue;
                Array.Copy(values, r * dimension, output, filled * dimension, dimension);
                if (++filled == blockSize)
                {
                    yield return (output, filled);
                    filled = 0;
                }
            }
        }
        if (filled > 0) yield return (output, filled);
    }

    private static bool[] CandidateMask(IReadOnlyList<int> candidates, int poolCount)
    {
        var mask = new bool[poolCount];
        var previous = -1;
        foreach (var c in candidates)
        {
            if (c <= previous || c >= poolCount) throw new ArgumentException($"candidate {c}: candidates must be ascending pool indices below {poolCount}.", nameof(candidates));
            mask[c] = true;
            previous = c;
        }
        return mask;
    }

    /// <summary>SHA-256 over the documents, each followed by a newline.</summary>
    private static string ContentHash(IReadOnlyList<string> pool)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var document in pool) hash.AppendData(Encoding.UTF8.GetBytes(document + "\n"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
