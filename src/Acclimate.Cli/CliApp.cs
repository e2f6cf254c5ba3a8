using System.CommandLine;
using Acclimate.Errors;

namespace Acclimate.Cli;

/// <summary>Builds the command tree and maps Acclimate errors to exit codes (2 bad input, 1 internal).</summary>
public static class CliApp
{
    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var errors = stderr ?? Console.Error;
        var root = new RootCommand("Acclimate: adapt pretrained transformer encoders to new domains and tasks.");
        // One file per verb under Commands/, each exposing `static Command Create(TextWriter output)`.
        root.Subcommands.Add(Commands.TokenizeCommand.Create(output));
        try
        {
            // Let Acclimate errors reach the handlers below instead of System.CommandLine's stack-trace printer.
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (AcclimateException e)
        {
            errors.WriteLine("error: " + e.Message);
            return 2;
        }
        catch (Exception e)
        {
            errors.WriteLine("internal error: " + e);
            return 1;
        }
        finally { output.Flush(); }
    }
}
