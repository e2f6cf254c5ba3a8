namespace Acclimate.Tests.Data.Corpora;

/// <summary>A test that needs the npm registry: skipped unless ACCLIMATE_ONLINE_TESTS=1, so the default run stays offline.</summary>
public sealed class OnlineFactAttribute : FactAttribute
{
    public const string Variable = "ACCLIMATE_ONLINE_TESTS";

    public OnlineFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"downloads from the npm registry; set {Variable}=1 to run";
    }
}
