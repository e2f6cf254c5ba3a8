using System.CommandLine;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Training;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate model interpolate</c> (WiSE-FT: (1 − α)·from + α·to) and <c>acclimate model average</c>
/// (uniform average of a run's last k checkpoints): weight-space combinations of models of one architecture;
/// <c>acclimate model merge</c> folds a LoRA adapter into its base.
/// </summary>
internal static class ModelCombineCommand
{
    public static Command CreateInterpolate(TextWriter output)
    {
        var from = new Option<string>("--from") { Description = "HF model folder at alpha 0 (e.g. the encoder before adaptation).", Required = true };
        var to = new Option<string>("--to") { Description = "HF model folder at alpha 1 (e.g. the adapted encoder); config and tokenizer are copied from it.", Required = true };
        var alpha = new Option<double>("--alpha") { Description = "Weight of --to, in [0, 1]: θ = (1 − α)·from + α·to.", Required = true };
        var outDir = new Option<string>("--output") { Description = "Folder to write (must not exist unless --force).", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing --output folder." };
        var command = new Command("interpolate", "Interpolate two models of one architecture in weight space (WiSE-FT): (1 − alpha)·from + alpha·to.")
        {
            from, to, alpha, outDir, force,
        };
        command.SetAction(result =>
        {
            var written = WeightInterpolation.Interpolate(result.GetValue(from)!, result.GetValue(to)!, result.GetValue(alpha), result.GetValue(outDir)!, result.GetValue(force));
            output.WriteLine($"wrote {written.OutputFolder}: (1 - {result.GetValue(alpha):R})·{result.GetValue(from)} + {result.GetValue(alpha):R}·{result.GetValue(to)}, " +
                             $"{written.TensorCount} tensors in {string.Join(", ", written.WeightFiles)}; config and tokenizer from {written.CopiedFrom}");
            return 0;
        });
        return command;
    }

    public static Command CreateMerge(TextWriter output)
    {
        var baseDir = new Option<string>("--base") { Description = "HF model folder the adapter was trained on (checked by the adapter's base fingerprint).", Required = true };
        var adapter = new Option<string>("--adapter") { Description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors).", Required = true };
        var outDir = new Option<string>("--output") { Description = "Folder to write (must not exist unless --force).", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing --output folder." };
        var command = new Command("merge", "Fold a LoRA adapter into its base model: W + (lora_alpha / r)·B·A, written as a plain HF folder.")
        {
            baseDir, adapter, outDir, force,
        };
        command.SetAction(result =>
        {
            var merged = LoraAdapterFolder.Merge(result.GetValue(baseDir)!, result.GetValue(adapter)!, result.GetValue(outDir)!, result.GetValue(force));
            output.WriteLine($"wrote {merged.OutputFolder}: {merged.MergedModules} adapted weights merged, {merged.ReplacedTensors} trained tensors taken from the adapter, " +
                             $"{merged.TensorCount} tensors in all; base fingerprint {merged.BaseFingerprint} matches the adapter's");
            return 0;
        });
        return command;
    }

    public static Command CreateAverage(TextWriter output)
    {
        var run = new Option<string?>("--run") { Description = "Run folder whose newest checkpoints (checkpoints/checkpoint-<step>) are averaged." };
        var last = new Option<int?>("--last") { Description = "How many of the run's newest checkpoints to average (with --run)." };
        var checkpoints = new Option<string[]>("--checkpoints") { Description = "Checkpoint or model folders to average (instead of --run).", AllowMultipleArgumentsPerToken = true };
        var outDir = new Option<string>("--output") { Description = "Folder to write (must not exist unless --force).", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing --output folder." };
        var command = new Command("average", "Average checkpoints uniformly in weight space: the last K of a run, or the folders given.")
        {
            run, last, checkpoints, outDir, force,
        };
        command.SetAction(result =>
        {
            var runFolder = result.GetValue(run);
            var folders = result.GetValue(checkpoints) ?? Array.Empty<string>();
            WeightCombinationResult written;
            if (runFolder is not null && folders.Length == 0)
            {
                var k = result.GetValue(last) ?? throw new ConfigException("--run needs --last K (how many of the newest checkpoints to average).");
                written = CheckpointAveraging.Average(runFolder, k, result.GetValue(outDir)!, result.GetValue(force));
            }
            else if (runFolder is null && folders.Length > 0)
            {
                if (result.GetValue(last) is not null) throw new ConfigException("--last goes with --run; with --checkpoints every folder given is averaged.");
                written = CheckpointAveraging.Average(folders, result.GetValue(outDir)!, result.GetValue(force));
            }
            else throw new ConfigException("give either --run DIR --last K or --checkpoints A B …, not both and not neither.");
            output.WriteLine($"wrote {written.OutputFolder}: uniform average of {written.WeightFiles.Count} weight file(s), {written.TensorCount} tensors; " +
                             $"config and tokenizer from {written.CopiedFrom}");
            return 0;
        });
        return command;
    }
}
