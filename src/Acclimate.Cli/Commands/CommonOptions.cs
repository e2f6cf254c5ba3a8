using System.CommandLine;

namespace Acclimate.Cli.Commands;

/// <summary>Options several verbs share, defined once so they read the same everywhere.</summary>
public static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = "cpu, cuda, cuda:N, or auto (cuda when present).",
        DefaultValueFactory = _ => "auto",
    };
}
