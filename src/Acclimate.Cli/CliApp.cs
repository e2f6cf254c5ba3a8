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
        root.Subcommands.Add(Commands.DemoCommand.Create(output));
        root.Subcommands.Add(Commands.ModelCommand.Create(output));
        root.Subcommands.Add(Commands.MetricsCommand.Create(output));
        root.Subcommands.Add(Commands.DataCommand.Create(output));
        root.Subcommands.Add(Commands.TokenizeCommand.Create(output));
        root.Subcommands.Add(Commands.VocabCommand.Create(output));
        root.Subcommands.Add(Commands.FinetuneCommand.Create(output));
        root.Subcommands.Add(Commands.EvaluateCommand.Create(output));
        root.Subcommands.Add(Commands.PredictCommand.Create(output));
        root.Subcommands.Add(Commands.EnsembleCommand.Create(output));
        root.Subcommands.Add(Commands.PretrainCommand.Create(output));
        root.Subcommands.Add(Commands.EvalMlmCommand.Create(output));
        root.Subcommands.Add(Commands.EmbedCommand.Create(output));
        root.Subcommands.Add(Commands.SweepCommand.Create(output));
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
            {
                // Bad arguments are bad input: report them like any other (exit 2), with the usage hint.
                foreach (var error in parsed.Errors) errors.WriteLine("error: " + error.Message);
                errors.WriteLine("Run with --help for usage.");
                return 2;
            }
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = errors });
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
