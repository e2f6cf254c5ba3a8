using System.Security.Cryptography;
using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>Checks a file against an npm <c>sha512-BASE64</c> integrity string.</summary>
internal static class TarballIntegrity
{
    /// <summary>The only algorithm accepted: npm has published SHA-512 for every package since 2017.</summary>
    public const string Sha512Prefix = "sha512-";

    /// <summary>The <c>sha512-…</c> integrity of a file, as npm prints it.</summary>
    public static string Compute(string path)
    {
        using var stream = File.OpenRead(path);
        return Sha512Prefix + Convert.ToBase64String(SHA512.HashData(stream));
    }

    /// <summary>Throws a <see cref="DataException"/> naming the file, both digests and the remedy when they differ.</summary>
    public static void Verify(string path, string expected)
    {
        var actual = Compute(path);
        if (!string.Equals(actual, expected, StringComparison.Ordinal))
            throw new DataException($"{path}: integrity mismatch: the tarball's SHA-512 is {actual}; expected {expected} (pinned). " +
                                    "The file is corrupt or not the pinned release; delete it to download it again.");
    }
}
