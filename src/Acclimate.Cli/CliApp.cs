using System.CommandLine;
using Acclimate.Errors;

namespace Acclimate.Cli;

/// <summary>Builds the command tree and maps Acclimate errors to exit codes (2 bad input, 1 internal).</summary>
internal static class CliApp
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
        root.Subcommands.Add(Commands.ServeCommand.Create(output));
        root.Subcommands.Add(Commands.EnsembleCommand.Create(output));
        root.Subcommands.Add(Commands.PretrainCommand.Create(output));
        root.Subcommands.Add(Commands.EvalMlmCommand.Create(output));
        root.Subcommands.Add(Commands.FrontierCommand.Create(output));
        root.Subcommands.Add(Commands.EmbedCommand.Create(output));
        root.Subcommands.Add(Commands.SweepCommand.Create(output));
        root.Subcommands.Add(Commands.DomainsCommand.Create(output));
        root.Subcommands.Add(Commands.SelectCommand.Create(output));
        root.Subcommands.Add(Commands.AugmentCommand.Create(output));
        try
        {
            var parsed = root.Parse(args);
            // --help excuses a missing required option (so 'finetune --help' shows the verb's help),
            // not an unknown verb or argument: 'select --help' is bad input, not a request for the root help.
            var isHelp = parsed.Action is System.CommandLine.Help.HelpAction;
            if ((parsed.Errors.Count > 0 && !isHelp) || parsed.UnmatchedTokens.Count > 0)
            {
                // Bad arguments are bad input: report them like any other (exit 2), with the usage hint.
                foreach (var error in parsed.Errors) errors.WriteLine("error: " + error.Message);
                if (parsed.Errors.Count == 0)
                    foreach (var token in parsed.UnmatchedTokens) errors.WriteLine($"error: unrecognized command or argument '{token}'.");
                errors.WriteLine("Run with --help for usage.");
                return 2;
            }
            if (isHelp)
            {
                // Usage lines name the root after the running executable, which for `dotnet Acclimate.Cli.dll`
                // (what the wrapper script and the installed tool run) is "Acclimate.Cli": show the command users type.
                using var help = new StringWriter();
                var status = parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = help, Error = errors });
                output.Write(help.ToString().Replace(RootCommand.ExecutableName + " ", CommandName + " ", StringComparison.Ordinal));
                return status;
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

    /// <summary>The name users type (the wrapper script, the installed .NET tool), shown in help's usage lines.</summary>
    public const string CommandName = "acclimate";
}
