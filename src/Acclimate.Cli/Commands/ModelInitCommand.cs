using System.CommandLine;
using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using static TorchSharp.torch;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate model init</c>: writes a randomly initialized BERT-family encoder (HF's
/// initialization, seeded) with a given tokenizer's vocabulary as an HF folder — the "from
/// scratch" starting point when no pretrained checkpoint is available.
/// </summary>
internal static class ModelInitCommand
{
    public static Command Create(TextWriter output)
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer folder whose vocabulary sizes the embeddings (its files are copied).", Required = true };
        var outDir = new Option<string>("--output") { Description = "Folder to write (config.json, model.safetensors, tokenizer files).", Required = true };
        var type = new Option<string>("--type") { Description = "bert, roberta, albert or electra.", DefaultValueFactory = _ => "bert" };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 4 };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => 256 };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 4 };
        var intermediate = new Option<int>("--intermediate") { DefaultValueFactory = _ => 1024 };
        var positions = new Option<int>("--max-positions") { DefaultValueFactory = _ => 512 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var command = new Command("init", "Write a randomly initialized encoder (seeded HF initialization) as an HF model folder.")
        {
            tokenizer, outDir, type, layers, hidden, heads, intermediate, positions, seed,
        };
        command.SetAction(result =>
        {
            TorchRuntime.EnsureInitialized();
            var tok = TokenizerLoader.FromFolder(result.GetValue(tokenizer)!);
            var modelType = Enum.Parse<ModelType>(result.GetValue(type)!, ignoreCase: true);
            var config = EncoderConfig.Create(modelType, tok.VocabSize, result.GetValue(hidden), result.GetValue(layers), result.GetValue(heads),
                result.GetValue(intermediate), maxPositions: result.GetValue(positions), extra: o => o["pad_token_id"] = tok.PadTokenId);
            manual_seed(result.GetValue(seed));
            using var model = ModelFactory.Create(config, ModelTask.Base, initialize: true);
            PretrainedModel.Save(model, result.GetValue(outDir)!, tok.SaveTo);
            var parameters = model.parameters().Sum(p => p.numel());
            output.WriteLine($"wrote {result.GetValue(outDir)}: {modelType} {result.GetValue(layers)} layers, hidden {result.GetValue(hidden)}, vocab {tok.VocabSize}, {parameters:N0} parameters (random init, seed {result.GetValue(seed)})");
            return 0;
        });
        return command;
    }
}
