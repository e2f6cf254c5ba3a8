namespace Acclimate.Data.Corpora;

/// <summary>Where downloaded corpora are kept: <c>$ACCLIMATE_CACHE</c>, else <c>~/.cache/acclimate</c>.</summary>
public static class AcclimateCache
{
    /// <summary>The environment variable that overrides the cache folder.</summary>
    public const string EnvironmentVariable = "ACCLIMATE_CACHE";

    /// <summary>The cache folder for this user (not created here).</summary>
    public static string DefaultDirectory()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "acclimate");
    }
}
