using System.Reflection;

namespace Acclimate.Tests.CommandLine;

/// <summary>
/// The executable is a thin layer: its commands parse and call the library, so it has nothing for
/// a program to use. A public type appearing here would be logic that belongs in the library (or in
/// Acclimate.Demos), reachable only by referencing an executable.
/// </summary>
public class CliSurfaceTests
{
    [Fact]
    public void The_executable_exports_no_types()
    {
        var cli = typeof(Acclimate.Cli.CliApp).Assembly;
        Assert.Equal("Acclimate.Cli", cli.GetName().Name);
        var exported = cli.GetExportedTypes().Select(t => t.FullName).Order(StringComparer.Ordinal).ToList();
        Assert.True(exported.Count == 0, "public types in Acclimate.Cli (make them internal, or move the logic into the library): " + string.Join(", ", exported));
    }
}
