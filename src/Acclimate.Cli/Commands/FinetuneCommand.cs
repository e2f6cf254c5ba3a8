using System.CommandLine;
using System.Globalization;
using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.Training;
using Spectre.Console;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate finetune --config recipe.yaml</c>: fine-tunes a pretrained encoder for token
/// classification (NER/POS; optional k-fold CV or pseudo-label rounds) or sequence
/// classification, printing a dev table after every epoch and writing the run folder.
/// </summary>
internal static class FinetuneCommand
{
    public static Command Create(TextWriter output)
    {
        var config = new Option<string>("--config") { Description = $"Fine-tuning recipe (YAML sections: {string.Join(", ", FineTuneRecipe.SectionNames)}).", Required = true };
        var set = new Option<string[]>("--set") { Description = "Override a recipe value: section.key=value (repeatable).", AllowMultipleArgumentsPerToken = false };
        var runDir = new Option<string?>("--run-dir") { Description = "Write the run into exactly this folder (overrides output.dir/name)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the interrupted run in --run-dir from its latest checkpoint (same recipe)." };
        var device = CommonOptions.TrainingDevice();
        var command = new Command("finetune", "Fine-tune a pretrained encoder on labelled data (token or sequence classification).") { config, set, runDir, resume, device };
        command.SetAction(result =>
        {
            var recipe = Recipe.Load(result.GetValue(config)!, (result.GetValue(set) ?? Array.Empty<string>()).Concat(CommonOptions.DeviceOverride(result.GetValue(device))).ToList());
            var options = FineTuneRecipe.From(recipe);
            // Under mpirun a rank other than 0 writes its copy of the run into a scratch folder (it still resumes from rank 0's checkpoint).
            var scratch = DataParallelHost.ScratchRunFolder();
            var exactFolder = result.GetValue(runDir) ?? (options.Output.Exact ? Path.Combine(options.Output.Dir, options.Output.Name) : null);
            var run = scratch is not null ? RunFolder.At(scratch)
                : exactFolder is not null ? RunFolder.At(exactFolder)
                : RunFolder.Create(options.Output.Dir, options.Output.Name);
            string? resumeFrom = null;
            if (result.GetValue(resume))
            {
                if (exactFolder is null) throw new ConfigException("--resume needs --run-dir (or output.exact) naming the run to continue.");
                var resumed = scratch is null ? run : RunFolder.At(exactFolder);
                resumeFrom = resumed.LatestCheckpoint() ?? throw new ConfigException($"{resumed.Path}: no checkpoint to resume from (checkpoints are written every training.save_every updates).");
                output.WriteLine($"resuming from {resumeFrom}");
            }
            run.SaveRecipe(recipe);
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            output.WriteLine($"run folder: {run.Path}");
            var finished = new FineTuningRun(options, run)
            {
                Log = output,
                ResumeFrom = resumeFrom,
                Progress = new ConsoleTrainingProgress(output),
                EpochEvaluated = e => EpochTable.Write(console,
                    $"{(e.Label.Length > 0 ? e.Label + ", " : "")}epoch {e.Epoch} (step {e.Step}), train loss {e.TrainLoss.ToString("F4", CultureInfo.InvariantCulture)} — dev{(e.IsBest ? " (best so far)" : "")}", e.Scores),
            }.Execute();
            output.WriteLine($"best model: {finished.BestModelFolder}");
            output.WriteLine("dev:  " + MetricsLine.Format(finished.Dev));
            if (finished.Test is not null) output.WriteLine("test: " + MetricsLine.Format(finished.Test));
            return 0;
        });
        return command;
    }
}
