using System.CommandLine;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Cli.Commands;

/// <summary><c>acclimate model forward|info|init|import|fetch|interpolate|average|merge|convert</c>: run, describe, create, import, fetch, combine (in weight space), merge a LoRA adapter into, or convert HF model folders.</summary>
internal static class ModelCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("model", "Inspect and run HuggingFace model folders.");
        command.Subcommands.Add(CreateForward(output));
        command.Subcommands.Add(CreateInfo(output));
        command.Subcommands.Add(ModelInitCommand.Create(output));
        command.Subcommands.Add(ModelImportCommand.CreateImport(output));
        command.Subcommands.Add(ModelImportCommand.CreateExport(output));
        command.Subcommands.Add(ModelImportCommand.CreateFetch(output));
        command.Subcommands.Add(ModelCombineCommand.CreateInterpolate(output));
        command.Subcommands.Add(ModelCombineCommand.CreateAverage(output));
        command.Subcommands.Add(ModelCombineCommand.CreateMerge(output));
        command.Subcommands.Add(CreateConvert(output));
        return command;
    }

    private static Command CreateConvert(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "HF model folder whose weights are pytorch_model.bin (or .bin shards with pytorch_model.bin.index.json).", Required = true };
        var to = new Option<string>("--to") { Description = "Target format: safetensors.", Required = true };
        var outDir = new Option<string?>("--output") { Description = "Folder to write (model.safetensors + config and tokenizer files); default: model.safetensors beside the .bin." };
        var command = new Command("convert", "Convert a PyTorch .bin model folder to safetensors (read with an allow-list unpickler: tensors only, nothing executed).")
        {
            model, to, outDir,
        };
        command.SetAction(result =>
        {
            if (!string.Equals(result.GetValue(to), "safetensors", StringComparison.OrdinalIgnoreCase))
                throw new ConfigException($"--to {result.GetValue(to)}: expected safetensors.");
            var converted = CheckpointConversion.ToSafetensors(result.GetValue(model)!, result.GetValue(outDir));
            output.WriteLine($"wrote {converted.TensorCount} tensors to {converted.WeightsPath}" +
                             (converted.CopiedFiles.Count > 0 ? $"; copied {string.Join(", ", converted.CopiedFiles)}" : ""));
            return 0;
        });
        return command;
    }

    private static Command CreateForward(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "HF model folder (config.json + model.safetensors).", Required = true };
        var inputs = new Option<string>("--inputs") { Description = "inputs.json: {\"batches\": [{\"input_ids\": [[…]], \"attention_mask\": …, \"labels\": …}]}.", Required = true };
        var outputPath = new Option<string>("--output") { Description = "safetensors file to write: b{batch}.{output name} for every output.", Required = true };
        var task = new Option<string?>("--task") { Description = "Override the head: base, pretraining, mlm, token-classification, sequence-classification (default: config architectures)." };
        var device = CommonOptions.Device();
        var command = new Command("forward", "Run a model in eval mode on the batches of an inputs.json and write every output (hidden states, logits, losses).")
        {
            model, inputs, outputPath, task, device,
        };
        command.SetAction(result =>
        {
            var dev = TorchRuntime.ResolveDevice(result.GetValue(device));
            var (loaded, report) = PretrainedModel.Load(result.GetValue(model)!, ParseTask(result.GetValue(task)));
            var warnings = report.Describe();
            if (warnings.Length > 0) Console.Error.Write(warnings);
            using var net = loaded;
            net.to(dev);
            net.eval();
            var batches = ModelInputsFile.Read(result.GetValue(inputs)!);
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            using (no_grad())
            {
                for (var b = 0; b < batches.Count; b++)
                {
                    var x = batches[b];
                    var onDevice = new ModelInputs(x.InputIds.to(dev), x.AttentionMask?.to(dev), x.TokenTypeIds?.to(dev))
                    {
                        Labels = x.Labels?.to(dev),
                        SentenceLabels = x.SentenceLabels?.to(dev),
                    };
                    var outputs = net.Forward(onDevice);
                    foreach (var (name, value) in outputs.Named())
                        tensors[$"b{b}.{name}"] = value.detach().cpu().contiguous();
                }
            }
            SafetensorsWriter.Write(result.GetValue(outputPath)!, tensors);
            output.WriteLine($"wrote {tensors.Count} tensors for {batches.Count} batches to {result.GetValue(outputPath)} ({net.ArchitectureName})");
            return 0;
        });
        return command;
    }

    private static Command CreateInfo(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "HF model folder.", Required = true };
        var command = new Command("info", "Print a model folder's architecture, sizes and parameter count.") { model };
        command.SetAction(result =>
        {
            var (net, report) = PretrainedModel.Load(result.GetValue(model)!);
            using (net)
            {
                var c = net.Config;
                var parameters = net.parameters().Sum(p => p.numel());
                output.WriteLine($"{net.ArchitectureName}: {c.NumHiddenLayers} layers, hidden {c.HiddenSize}, embedding {c.EmbeddingSize}, " +
                                 $"{c.NumAttentionHeads} heads, intermediate {c.IntermediateSize}, vocab {c.VocabSize}, max positions {c.MaxPositionEmbeddings}");
                output.WriteLine($"parameters: {parameters:N0}; tensors loaded: {report.LoadedKeys.Count}");
                var warnings = report.Describe();
                if (warnings.Length > 0) output.Write(warnings);
            }
            return 0;
        });
        return command;
    }

    /// <summary>Parses a task name given on the command line.</summary>
    public static ModelTask? ParseTask(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "base" => ModelTask.Base,
        "pretraining" => ModelTask.PreTraining,
        "mlm" or "masked-lm" => ModelTask.MaskedLM,
        "token-classification" or "ner" => ModelTask.TokenClassification,
        "sequence-classification" or "classification" => ModelTask.SequenceClassification,
        _ => throw new ConfigException($"--task {name}: expected base, pretraining, mlm, token-classification or sequence-classification."),
    };
}
