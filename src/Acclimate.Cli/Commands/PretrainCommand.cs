using System.CommandLine;
using Acclimate.Pretraining;
using Acclimate.Training;

namespace Acclimate.Cli.Commands;

/// <summary><c>acclimate pretrain --config recipe.yaml [section.key=value …]</c>: MLM / NSP / SOP / ELECTRA pretraining, DAPT and TAPT with forgetting control.</summary>
internal static class PretrainCommand
{
    public static Command Create(TextWriter output)
    {
        var config = new Option<string>("--config") { Description = $"The recipe (YAML sections: {string.Join(", ", PretrainingRecipe.SectionNames)}).", Required = true };
        var set = new Option<string[]>("--set")
        {
            Description = "Override a recipe value, e.g. --set training.max_steps=200 (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var overrides = new Argument<string[]>("overrides")
        {
            Description = "More overrides as section.key=value (same as --set).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var resume = new Option<string?>("--resume") { Description = "Continue from a checkpoint folder (runs/…/checkpoints/checkpoint-N) with the same recipe." };
        var stopAt = new Option<long?>("--stop-at-step") { Description = "Stop after this update as if interrupted (resume later with --resume)." };
        var device = CommonOptions.TrainingDevice();
        var command = new Command("pretrain", "Continued or from-scratch pretraining (MLM, MLM+NSP, MLM+SOP, ELECTRA) with rehearsal / L2-SP / EWC and a forgetting report.")
        {
            config, set, overrides, resume, stopAt, device,
        };
        command.SetAction(result =>
        {
            var all = (result.GetValue(set) ?? Array.Empty<string>()).Concat(result.GetValue(overrides) ?? Array.Empty<string>()).ToList();
            if (result.GetValue(resume) is string checkpoint) all.Add("run.resume_from=" + checkpoint);
            all.AddRange(CommonOptions.DeviceOverride(result.GetValue(device)));
            var recipe = Recipe.Load(result.GetValue(config)!, all);
            var run = new PretrainingRun(recipe, output) { StopAtStep = result.GetValue(stopAt), ScratchFolder = DataParallelHost.ScratchRunFolder() };
            var outcome = run.Execute();
            output.WriteLine($"model: {outcome.ModelFolder}");
            output.WriteLine($"report: {Path.Combine(outcome.RunFolder, "report.md")}");
            return 0;
        });
        return command;
    }
}
