using System.CommandLine;
using Acclimate.Cli.Demo;
using Acclimate.Errors;
using Spectre.Console;

namespace Acclimate.Cli.Commands;

/// <summary><c>acclimate demo</c>: the end-to-end run with a report.</summary>
public static class DemoCommand
{
    public static Command Create(TextWriter output)
    {
        var outDir = new Option<string>("--out") { Description = "Run folder for report.md and artefacts.", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
        var fixtures = new Option<string?>("--fixtures") { Description = "Folder with the bundled reference fixtures (default: tests/fixtures of this checkout)." };
        var command = new Command("demo", "Run the end-to-end demo and write a report (today: the foundation checks against HuggingFace).") { outDir, fixtures };
        command.SetAction(result =>
        {
            var dir = result.GetValue(fixtures) ?? Path.Combine(RepoRoot(), "tests", "fixtures");
            if (!Directory.Exists(Path.Combine(dir, "hf-parity")))
                throw new ConfigException($"{dir}: no hf-parity fixtures here (pass --fixtures DIR pointing at tests/fixtures of an Acclimate checkout).");
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            return new FoundationDemo(dir, result.GetValue(outDir)!, console).Run();
        });
        return command;
    }

    private static string RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Acclimate.sln"))) return dir.FullName;
        }
        throw new ConfigException("Cannot find the Acclimate checkout (Acclimate.sln) above the program or the current folder; pass --fixtures.");
    }
}
