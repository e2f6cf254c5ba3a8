using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.Data.Batching;
using Acclimate.Data.Caching;
using Acclimate.Data.Corpora;
using Acclimate.Models;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Bench;

/// <summary>
/// <c>pretrain --corpus FILE --tokenizer DIR</c>: the real pretraining path (token cache → packed
/// blocks → dynamic MLM masking → masked-position MLM loss → AdamW in <see cref="TrainingLoop{TBatch}"/>)
/// timed end to end, in two parts:
/// <list type="number">
/// <item>throughput and MFU of a 4-layer, hidden-256 BERT at sequence 128 against the fp32 matmul
/// rate measured in the same process;</item>
/// <item>a 1,000-update run of a smaller BERT (2 × 128, so it takes minutes) that prints, per epoch,
/// the seconds spent tokenizing (the cache is asked for at the start of every epoch: built in epoch
/// 0, reused after) and the process RSS at updates 10, 500 and 1000.</item>
/// </list>
/// </summary>
public static class PretrainBench
{
    public static int Run(string[] args)
    {
        var corpus = Args.String(args, "--corpus") ?? throw new ArgumentException("--corpus FILE is required (e.g. .cache/brown-learned/domain-train.txt)");
        var tokenizerFolder = Args.String(args, "--tokenizer") ?? throw new ArgumentException("--tokenizer DIR is required");
        var threads = Args.Int(args, "--threads", 1);
        var mfuSteps = Args.Int(args, "--mfu-steps", 40);
        var rssSteps = Args.Int(args, "--rss-steps", 1000);
        var seq = Args.Int(args, "--seq", 128);
        TorchRuntime.EnsureInitialized();
        set_num_threads(threads);
        var tokenizer = TokenizerLoader.FromFolder(tokenizerFolder);
        var cacheRoot = Path.Combine(Path.GetTempPath(), "acclimate-bench-tokens-" + Guid.NewGuid().ToString("N"));
        try
        {
            var matmul = MatmulRate.MeasureGflops();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"machine: {Environment.ProcessorCount} logical cores, torch threads {get_num_threads()}, fp32 matmul 1024³: {matmul:F1} GFLOP/s"));
            Console.WriteLine($"corpus {corpus}, tokenizer {tokenizerFolder} ({tokenizer.VocabSize} ids), sequence {seq}");
            Console.WriteLine();

            // Part 1: throughput and MFU of the 4 × 256 model.
            var big = EncoderConfig.Create(ModelType.Bert, tokenizer.VocabSize, 256, 4, 4, 1024, maxPositions: seq);
            var (bigTokensPerSecond, maskedFraction, _) = Train(big, tokenizer, tokenizerFolder, corpus, Path.Combine(cacheRoot, "mfu"), seq, batch: 16, steps: mfuSteps + 5, threads, warmup: 5, rssAt: Array.Empty<long>(), quiet: true);
            var flops = TrainThroughputBench.TrainingFlopsPerToken(big, seq, ModelTask.MaskedLM, maskedFraction);
            var achieved = bigTokensPerSecond * flops / 1e9;
            Console.WriteLine($"{"model",-22} {"batch",5} {"tokens/s",9} {"GFLOP/tok",10} {"GFLOP/s",8} {"MFU",6}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"BERT 4×256 (MLM)",-22} {16,5} {bigTokensPerSecond,9:F0} {flops / 1e9,10:F4} {achieved,8:F1} {achieved / matmul,6:P1}"));
            Console.WriteLine($"  (timed over {mfuSteps} updates after 5 warm-up; {maskedFraction:P1} of tokens masked; FLOPs counted as in train-throughput)");
            Console.WriteLine();

            // Part 2: 1,000 updates of a small model: tokenize seconds per epoch and RSS.
            var small = EncoderConfig.Create(ModelType.Bert, tokenizer.VocabSize, 128, 2, 2, 512, maxPositions: seq);
            Console.WriteLine($"{rssSteps} updates of BERT 2×128, batch 8 × {seq}:");
            var (smallTokensPerSecond, _, epochs) = Train(small, tokenizer, tokenizerFolder, corpus, Path.Combine(cacheRoot, "rss"), seq, batch: 8, steps: rssSteps, threads, warmup: 0,
                rssAt: new long[] { 10, 500, 1000 }, quiet: false);
            Console.WriteLine($"{"epoch",5} {"tokenize s",11} {"cache",8} {"updates",8}");
            foreach (var e in epochs)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{e.Epoch,5} {e.TokenizeSeconds,11:F3} {(e.Built ? "built" : "reused"),8} {e.Updates,8}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mean {smallTokensPerSecond:F0} tokens/s"));
            return 0;
        }
        finally
        {
            try { Directory.Delete(cacheRoot, recursive: true); } catch (IOException) { }
        }
    }

    private sealed record EpochLine(int Epoch, double TokenizeSeconds, bool Built, long Updates);

    private static (double TokensPerSecond, double MaskedFraction, List<EpochLine> Epochs) Train(EncoderConfig config, ITextTokenizer tokenizer, string tokenizerFolder,
        string corpus, string cacheRoot, int seq, int batch, int steps, int threads, int warmup, long[] rssAt, bool quiet)
    {
        manual_seed(1);
        using var model = (MaskedLmModel)ModelFactory.Create(config, ModelTask.MaskedLM);
        var specials = new SpecialTokenIds(tokenizer.PadTokenId, tokenizer.MaskTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.SpecialTokenIds);
        var collator = new MlmCollator(new MlmMaskingOptions(), specials, config.VocabSize);
        var source = new CachedEpochSource(corpus, tokenizer, tokenizerFolder, cacheRoot, seq, collator, batch);
        var objective = new MlmObjective(model);
        using var optimizer = AdamWOptimizer.Create(model, new AdamWSettings(5e-4));
        var progress = new RssProgress(rssAt, warmup);
        long masked = 0, tokens = 0;
        var loop = new TrainingLoop<PretrainingBatch>(new TrainingOptions { MaxSteps = steps, Threads = threads, LogEvery = 1_000_000, SaveEvery = 0, WarmupSteps = 10 },
            new HfTrainableModel(model), optimizer, source, b =>
            {
                var loss = objective.Compute(b.Batch);
                masked += loss.MaskedTokens;
                tokens += b.Batch.InputIds.numel();
                return loss.Total;
            })
        {
            CountTokens = b => b.Tokens,
            Progress = progress,
            WritePlots = false,
        };
        loop.Train();
        source.Close();
        return (progress.TokensPerSecond(batch * (long)seq), (double)masked / tokens, source.Epochs);
    }

    /// <summary>Prints RSS at chosen updates and times the updates after the warm-up ones.</summary>
    private sealed class RssProgress : ITrainingProgress
    {
        private readonly HashSet<long> _rssAt;
        private readonly int _warmup;
        private readonly Stopwatch _clock = new();
        private long _timedSteps;

        public RssProgress(IEnumerable<long> rssAt, int warmup)
        {
            _rssAt = rssAt.ToHashSet();
            _warmup = warmup;
        }

        public double TokensPerSecond(long tokensPerStep) => _timedSteps * tokensPerStep / _clock.Elapsed.TotalSeconds;

        public void Started(TrainingPlan plan)
        {
            if (_warmup == 0) _clock.Start();
        }

        public void Stepped(long step, double loss, double learningRate)
        {
            if (step == _warmup) _clock.Start();
            else if (step > _warmup) _timedSteps++;
            if (_rssAt.Contains(step))
            {
                using var process = Process.GetCurrentProcess();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  update {step,5}: RSS {process.WorkingSet64 / (1024.0 * 1024.0),7:F1} MB, loss {loss:F3}"));
            }
        }

        public void Logged(MetricsRecord record) { }
        public void Evaluated(MetricsRecord record, bool isBest) { }
        public void CheckpointSaved(long step, string folder) { }
        public void Finished(TrainingResult result) => _clock.Stop();
    }

    /// <summary>
    /// A pretraining batch source that asks for the token cache at the start of every epoch, as a
    /// fresh run over the same corpus would, and records how long that took: epoch 0 tokenizes and
    /// writes the cache; later epochs find it and only map it.
    /// </summary>
    private sealed class CachedEpochSource : IBatchSource<PretrainingBatch>
    {
        private readonly string _corpus;
        private readonly ITextTokenizer _tokenizer;
        private readonly string _tokenizerFolder;
        private readonly string _cacheRoot;
        private readonly int _seq;
        private readonly MlmCollator _collator;
        private readonly int _batch;
        private TokenCache? _cache;
        private PretrainingBatchSource? _inner;

        public CachedEpochSource(string corpus, ITextTokenizer tokenizer, string tokenizerFolder, string cacheRoot, int seq, MlmCollator collator, int batch)
        {
            (_corpus, _tokenizer, _tokenizerFolder, _cacheRoot, _seq, _collator, _batch) = (corpus, tokenizer, tokenizerFolder, cacheRoot, seq, collator, batch);
            Open(0);   // the batch count must be known before the loop starts
        }

        public List<EpochLine> Epochs { get; } = new();

        public long? BatchesPerEpoch => _inner!.BatchesPerEpoch;

        private void Open(int epoch)
        {
            var clock = Stopwatch.StartNew();
            var built = new Flag();
            _cache?.Dispose();
            _cache = TokenCacheBuilder.GetOrBuild(new CorpusReader(_corpus), _tokenizer, _tokenizerFolder, _cacheRoot, built, threads: 1);
            clock.Stop();
            var examples = new BlockExamples(new PretrainingBlocks(_cache, _seq, BlockMode.Packed, _tokenizer.ClsTokenId, _tokenizer.SepTokenId));
            _inner = new PretrainingBatchSource(new PretrainingBatchSequence(_corpus, examples, _collator, _batch, 1, 0), 1);
            if (Epochs.Count == 0 || Epochs[^1].Epoch != epoch) Epochs.Add(new EpochLine(epoch, clock.Elapsed.TotalSeconds, built.Seen, 0));
        }

        public void StartEpoch(int epoch)
        {
            if (epoch > 0) Open(epoch);
            _inner!.StartEpoch(epoch);
        }

        public bool TryNext([MaybeNullWhen(false)] out PretrainingBatch batch)
        {
            var ok = _inner!.TryNext(out batch);
            if (ok) Epochs[^1] = Epochs[^1] with { Updates = Epochs[^1].Updates + 1 };
            return ok;
        }

        public JsonNode SavePosition() => _inner!.SavePosition();
        public void RestorePosition(JsonNode position) => _inner!.RestorePosition(position);
        public void Close() => _cache?.Dispose();

        private sealed class Flag : IProgress<TokenCacheProgress>
        {
            public bool Seen { get; private set; }
            public void Report(TokenCacheProgress value) => Seen = true;
        }
    }
}
