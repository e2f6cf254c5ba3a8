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
    public void AMissingRequiredOptionWithoutHelpIsExitTwo()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["embed", "--model", "x"], new StringWriter(), stderr));
        Assert.Contains("--input", stderr.ToString());
    }
}
