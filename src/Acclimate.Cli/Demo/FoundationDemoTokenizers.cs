using System.Text;
using Spectre.Console;

namespace Acclimate.Cli.Demo;

/// <summary>The demo's tokenizer section (golden cases from HuggingFace's tokenizers).</summary>
internal static class FoundationDemoTokenizers
{
    public static bool Run(string fixtures, IAnsiConsole console, StringBuilder report) => true;
}
