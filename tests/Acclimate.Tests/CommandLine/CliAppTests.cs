using Acclimate.Cli;

namespace Acclimate.Tests.CommandLine;

public sealed class CliAppTests
{
    [Fact]
    public void AnUnknownVerbIsExitTwoEvenWithHelp()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["frobnicate", "--help"], new StringWriter(), stderr));
        Assert.Contains("frobnicate", stderr.ToString());
        Assert.Equal(2, CliApp.Run(["frobnicate"], new StringWriter(), new StringWriter()));
    }

    [Fact]
    public void HelpOfAVerbWithRequiredOptionsIsExitZero()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(["finetune", "--help"], stdout, new StringWriter()));
        Assert.Contains("--config", stdout.ToString());
        Assert.Equal(0, CliApp.Run(["sweep", "--help"], new StringWriter(), new StringWriter()));
        Assert.Equal(0, CliApp.Run(["--help"], new StringWriter(), new StringWriter()));
    }

    [Fact]
    public void ConfigHelpListsEverySectionTheRecipeAccepts()
    {
        // The --config help is built from the recipes' section lists, so a new section cannot be left out of it.
        static string ConfigHelp(System.CommandLine.Command command) =>
            command.Options.Single(o => o.Name == "--config").Description!;
        var finetune = ConfigHelp(Acclimate.Cli.Commands.FinetuneCommand.Create(new StringWriter()));
        Assert.Contains("model, data, training, optimizer, output, cross_validation, pseudo_labels, adaptation, adversarial, mixup", finetune);
        var pretrain = ConfigHelp(Acclimate.Cli.Commands.PretrainCommand.Create(new StringWriter()));
        Assert.Contains(string.Join(", ", Acclimate.Pretraining.PretrainingRecipe.SectionNames), pretrain);
        Assert.Contains("run, model, objective, data, general, forgetting, training", pretrain);
    }

    [Fact]
    public void HelpNamesTheCommandUsersTypeNotTheExecutable()
    {
        // Run as `dotnet Acclimate.Cli.dll`, System.CommandLine would write "Acclimate.Cli finetune [options]"
        // (here the test host's name): the usage line says what the wrapper and the installed tool are called.
        var stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(["finetune", "--help"], stdout, new StringWriter()));
        Assert.Contains("  acclimate finetune [options]", stdout.ToString());
        Assert.DoesNotContain(System.CommandLine.RootCommand.ExecutableName + " finetune", stdout.ToString());
        var root = new StringWriter();
        Assert.Equal(0, CliApp.Run(["--help"], root, new StringWriter()));
        Assert.Contains("  acclimate [command] [options]", root.ToString());
    }

    [Fact]
    public void AMissingRequiredOptionWithoutHelpIsExitTwo()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["embed", "--model", "x"], new StringWriter(), stderr));
        Assert.Contains("--input", stderr.ToString());
    }
}
