using System.CommandLine;
using System.Globalization;
using Acclimate.Checkpoints;
using Acclimate.Data.Batching;
using Acclimate.Data.Caching;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Training;
using TorchSharp;

namespace Acclimate.Cli.Commands;

/// <summary><c>acclimate eval-mlm --model DIR --corpus PATH</c>: masked-LM loss and perplexity of a model on a corpus (fixed masks).</summary>
internal static class EvalMlmCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "HF model folder with a masked-LM head (or an ELECTRA discriminator with generator/ beside it).", Required = true };
        var corpus = new Option<string>("--corpus") { Description = "Corpus file or folder: plain text, JSONL, .gz of either, Parquet.", Required = true };
        var corpusFile = new CorpusFileOptions();
        var blockSize = new Option<int>("--block-size") { Description = "Tokens per packed block, [CLS]/[SEP] included.", DefaultValueFactory = _ => 128 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var maxBlocks = new Option<int>("--max-blocks") { Description = "Score at most this many blocks (0 = all).", DefaultValueFactory = _ => 0 };
        var tokenCache = new Option<string?>("--token-cache") { Description = "Token cache root (default: the Acclimate cache's tokens/)." };
        var threads = new Option<int>("--threads") { Description = "torch threads (0 = physical cores).", DefaultValueFactory = _ => 0 };
        var device = CommonOptions.Device();
        var command = new Command("eval-mlm", "Masked-LM perplexity of a model on a corpus: 15% of non-special tokens masked 80/10/10 with a fixed seed, so numbers are comparable across models.")
        {
            model, corpus, blockSize, batchSize, maxBlocks, tokenCache, threads, device,
        };
        corpusFile.AddTo(command);
        command.SetAction(result =>
        {
            TorchRuntime.EnsureInitialized();
            TorchRuntime.SetThreads(TrainingEnvironment.ThreadsFor(result.GetValue(threads)));
            var dev = TorchRuntime.ResolveDevice(result.GetValue(device));
            var folder = result.GetValue(model)!;
            var tokenizer = TokenizerLoader.FromFolder(folder);
            var (loaded, _) = PretrainedModel.Load(folder);
            using var net = DevicePlacement.MoveTo(loaded, dev);
            if (tokenizer.VocabSize > net.Config.VocabSize)
                throw new ConfigException($"{folder}: the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {net.Config.VocabSize}.");
            var options = corpusFile.Read(result);
            var cacheRoot = result.GetValue(tokenCache) ?? Path.Combine(AcclimateCache.DefaultDirectory(), "tokens");
            using var cache = TokenCacheBuilder.GetOrBuild(new CorpusReader(result.GetValue(corpus)!, options), tokenizer, folder, cacheRoot);
            var blocks = new PretrainingBlocks(cache, result.GetValue(blockSize), BlockMode.Packed, tokenizer.ClsTokenId, tokenizer.SepTokenId);
            var specials = new SpecialTokenIds(tokenizer.PadTokenId, tokenizer.MaskTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.SpecialTokenIds);
            var evaluation = new MlmEvaluation(new BlockExamples(blocks, result.GetValue(maxBlocks)), new MlmMaskingOptions(), specials, net.Config.VocabSize, result.GetValue(batchSize), device: dev);
            MlmScore score;
            string extra = "";
            switch (net)
            {
                case MaskedLmModel mlm:
                    score = evaluation.Score(mlm);
                    break;
                case ElectraDiscriminatorModel disc when Directory.Exists(Path.Combine(folder, ElectraPretrainingModel.GeneratorFolder)):
                    // Moved before the pair is joined: joining shares the discriminator's embedding Parameters.
                    var generator = DevicePlacement.MoveTo((MaskedLmModel)PretrainedModel.Load(Path.Combine(folder, ElectraPretrainingModel.GeneratorFolder), ModelTask.MaskedLM).Model, dev);
                    // Not disposed here: it owns the discriminator, which `net` disposes.
                    var electra = new ElectraPretrainingModel(generator, disc, new torch.Generator(0, dev));
                    var e = evaluation.Score(electra);
                    score = e.Generator;
                    extra = string.Create(CultureInfo.InvariantCulture, $"discriminator accuracy {e.DiscriminatorAccuracy:F4}, replaced recall {e.ReplacedRecall:F4} ({e.ReplacedFraction:P1} replaced); generator ");
                    break;
                default:
                    throw new ConfigException($"{folder}: {net.ArchitectureName} has no masked-LM head; eval-mlm needs a …ForMaskedLM / …ForPreTraining model (or an ELECTRA discriminator with its generator/ folder).");
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.GetValue(corpus)}: {score.Sequences} blocks of {result.GetValue(blockSize)}, {score.MaskedTokens:N0} masked tokens: {extra}loss {score.Loss:F4}, perplexity {score.Perplexity:F2}"));
            return 0;
        });
        return command;
    }
}
