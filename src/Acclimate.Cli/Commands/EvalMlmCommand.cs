using System.CommandLine;
using System.Globalization;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using Acclimate.Training;

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
            var scored = HeldOutMlm.Score(folder, result.GetValue(corpus)!, new HeldOutMlmSettings
            {
                BlockSize = result.GetValue(blockSize),
                BatchSize = result.GetValue(batchSize),
                MaxBlocks = result.GetValue(maxBlocks),
                Corpus = corpusFile.Read(result),
                TokenCacheRoot = result.GetValue(tokenCache),
                Device = dev,
            });
            var score = scored.Mlm;
            var extra = scored.Electra is { } e
                ? string.Create(CultureInfo.InvariantCulture, $"discriminator accuracy {e.DiscriminatorAccuracy:F4}, replaced recall {e.ReplacedRecall:F4} ({e.ReplacedFraction:P1} replaced); generator ")
                : "";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.GetValue(corpus)}: {score.Sequences} blocks of {result.GetValue(blockSize)}, {score.MaskedTokens:N0} masked tokens: {extra}loss {score.Loss:F4}, perplexity {score.Perplexity:F2}"));
            return 0;
        });
        return command;
    }
}
