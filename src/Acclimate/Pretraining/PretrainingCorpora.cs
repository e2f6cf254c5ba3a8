using System.Diagnostics;
using System.Globalization;
using Acclimate.Data.Batching;
using Acclimate.Data.Caching;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Pretraining.Forgetting;
using Acclimate.Tokenization;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// The corpora of a pretraining run as batches: each corpus is tokenized once into its token cache
/// (reused when it exists), then cut into blocks (or NSP/SOP pairs) and masked by the run's
/// collator. Holds the caches open until disposed.
/// </summary>
internal sealed class PretrainingCorpora : IDisposable
{
    private readonly PretrainingRecipe _r;
    private readonly ITextTokenizer _tokenizer;
    private readonly string _tokenizerFolder;
    private readonly string _cacheRoot;
    private readonly TextWriter _log;
    private readonly List<TokenCache> _caches = new();
    private readonly MlmMaskingOptions _masking;
    private readonly SpecialTokenIds _specials;
    private readonly int _vocabularySize;
    private readonly WordBoundaries? _wholeWords;
    private readonly Device _device;
    private readonly MlmCollator _collator;

    /// <param name="r">The recipe (data, objective, training.seed and batch size, run.token_cache).</param>
    /// <param name="tokenizer">The run's tokenizer.</param>
    /// <param name="tokenizerFolder">Where it was read from (part of the cache key).</param>
    /// <param name="vocabularySize">The model's vocabulary size (random replacements are drawn below it).</param>
    /// <param name="device">Where batches are made.</param>
    /// <param name="log">The run's log.</param>
    public PretrainingCorpora(PretrainingRecipe r, ITextTokenizer tokenizer, string tokenizerFolder, int vocabularySize, Device device, TextWriter log)
    {
        _r = r;
        _tokenizer = tokenizer;
        _tokenizerFolder = tokenizerFolder;
        _cacheRoot = r.Run.TokenCache ?? Path.Combine(AcclimateCache.DefaultDirectory(), "tokens");
        _log = log;
        _vocabularySize = vocabularySize;
        _device = device;
        _specials = new SpecialTokenIds(tokenizer.PadTokenId, tokenizer.MaskTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.SpecialTokenIds);
        _wholeWords = r.Objective.WholeWord ? WholeWordBoundaries(tokenizer, vocabularySize) : null;
        _masking = r.Objective.ToMasking(r.Training.Seed);
        _collator = new MlmCollator(_masking, _specials, vocabularySize, _wholeWords, device);
    }

    /// <summary>Seconds spent building token caches so far (0 when every cache was reused).</summary>
    public double TokenizeSeconds { get; private set; }

    /// <summary>
    /// <c>data.train</c> as batches of stream 0: packed or line-by-line blocks (with the Chinese
    /// word references when given), or NSP/SOP pairs for those objectives.
    /// </summary>
    public PretrainingBatchSequence Domain()
    {
        var cache = Open("data.train", _r.Data.Train!);
        IPretrainingExamples examples = _r.Objective.Kind is PretrainingObjectiveKind.MlmNsp or PretrainingObjectiveKind.MlmSop
            ? SentencePairs(cache)
            : new BlockExamples(Blocks(cache, _r.Data.BlockMode), wordReferences: WordReferences(cache));
        return new PretrainingBatchSequence("data.train " + _r.Data.Train, examples, _collator, _r.Training.BatchSize, _r.Training.Seed, stream: 0);
    }

    /// <summary><c>general.train</c> as blocks in batches of stream 1 (for <paramref name="purpose"/>; an error names it when the corpus is missing).</summary>
    public PretrainingBatchSequence General(string source, string purpose)
    {
        if (_r.General.Train is null)
            throw new ConfigException($"{source}: forgetting control ({purpose}) needs general.train, a general-domain corpus.");
        var cache = Open("general.train", _r.General.Train);
        return new PretrainingBatchSequence("general.train " + _r.General.Train, new BlockExamples(Blocks(cache, _r.Data.BlockMode)),
            _collator, _r.Training.BatchSize, _r.Training.Seed, stream: 1);
    }

    /// <summary>The held-out sets that are given: "domain" (<c>data.eval</c>), then "general" (<c>general.eval</c>), packed, at most <c>data.eval_max_blocks</c> blocks each.</summary>
    public IReadOnlyList<HeldOutSet> HeldOut()
    {
        var sets = new List<HeldOutSet>();
        foreach (var (name, what, path) in new[] { ("domain", "data.eval", _r.Data.Eval), ("general", "general.eval", _r.General.Eval) })
        {
            if (path is null) continue;
            var examples = new BlockExamples(Blocks(Open(what, path), BlockMode.Packed), _r.Data.EvalMaxBlocks);
            sets.Add(new HeldOutSet(name, path, new MlmEvaluation(examples, _masking, _specials, _vocabularySize, _r.Data.EvalBatchSize, _wholeWords, _device)));
        }
        return sets;
    }

    /// <summary>Closes the token caches.</summary>
    public void Dispose()
    {
        foreach (var cache in _caches) cache.Dispose();
    }

    private PretrainingBlocks Blocks(TokenCache cache, BlockMode mode) =>
        new(cache, _r.Data.BlockSize, mode, _tokenizer.ClsTokenId, _tokenizer.SepTokenId);

    private TokenCache Open(string what, string path)
    {
        var clock = Stopwatch.StartNew();
        var reader = new CorpusReader(path, _r.Data.ToCorpusOptions());
        var progress = new BuildProgress(_log, what);
        var cache = TokenCacheBuilder.GetOrBuild(reader, _tokenizer, _tokenizerFolder, _cacheRoot, progress,
            _r.Data.TokenizeThreads > 0 ? _r.Data.TokenizeThreads : null);
        clock.Stop();
        _caches.Add(cache);
        if (progress.Built) TokenizeSeconds += clock.Elapsed.TotalSeconds;
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {path}: {cache.DocumentCount:N0} documents, {cache.TokenCount:N0} tokens ({(progress.Built ? $"tokenized in {clock.Elapsed.TotalSeconds:F1} s" : "token cache reused")}, {cache.Folder})"));
        return cache;
    }

    /// <summary>data.whole_word_reference read and checked against the training corpus, or null.</summary>
    private IReadOnlyList<int[]>? WordReferences(TokenCache trainCache)
    {
        var r = _r;
        if (r.Data.WholeWordReference is not { } path) return null;
        if (!r.Objective.WholeWord)
            throw new ConfigException($"data.whole_word_reference {path}: word positions are used by whole-word masking; set objective.whole_word: true.");
        if (r.Objective.Kind != PretrainingObjectiveKind.Mlm)
            throw new ConfigException($"data.whole_word_reference {path}: supported for objective.kind mlm (got {RecipeNames.EnumValue(r.Objective.Kind)}).");
        var references = ChineseWordReferences.Read(path);
        if (references.Count != trainCache.DocumentCount)
            throw new DataException($"{path}: {references.Count:N0} reference lines, but {r.Data.Train} has {trainCache.DocumentCount:N0} non-blank lines; line k of one belongs to line k of the other.");
        return references;
    }

    private static WordBoundaries WholeWordBoundaries(ITextTokenizer tokenizer, int vocabularySize)
    {
        var scheme = tokenizer.Kind switch
        {
            TokenizerKind.WordPiece => SubwordScheme.WordPiece,
            TokenizerKind.ByteLevelBpe => SubwordScheme.ByteLevelBpe,
            _ => SubwordScheme.SentencePiece,
        };
        var strings = new string[vocabularySize];
        for (var id = 0; id < vocabularySize; id++)
            strings[id] = id < tokenizer.VocabSize ? tokenizer.IdToToken(id) : "";
        return new WordBoundaries(strings, scheme);
    }

    /// <summary>
    /// NSP/SOP pairs from the cached documents. The cache keeps no sentence boundaries, so segments
    /// are cut after sentence-final punctuation tokens (". ! ?" as the tokenizer spells them); a
    /// document without any is one segment. Pairs are drawn once from the run seed.
    /// </summary>
    private PairExamples SentencePairs(TokenCache cache)
    {
        var r = _r;
        var enders = new HashSet<int>();
        foreach (var text in new[] { ".", "!", "?", "Ġ.", "▁.", "Ġ!", "Ġ?" })
            if (_tokenizer.TokenToId(text) is int id) enders.Add(id);
        var documents = new List<IReadOnlyList<IReadOnlyList<int>>>(cache.DocumentCount);
        for (var d = 0; d < cache.DocumentCount; d++)
        {
            var ids = cache.Document(d);
            var segments = new List<IReadOnlyList<int>>();
            var start = 0;
            for (var i = 0; i < ids.Length; i++)
                if (enders.Contains(ids[i]))
                {
                    segments.Add(ids[start..(i + 1)]);
                    start = i + 1;
                }
            if (start < ids.Length) segments.Add(ids[start..]);
            documents.Add(segments);
        }
        var task = r.Objective.Kind == PretrainingObjectiveKind.MlmNsp ? SentencePairTask.NextSentencePrediction : SentencePairTask.SentenceOrderPrediction;
        var options = new SentencePairOptions(task, r.Data.BlockSize, _tokenizer.ClsTokenId, _tokenizer.SepTokenId)
        {
            NegativeProbability = r.Objective.SentenceNegativeProbability,
        };
        var pairs = new SentencePairBuilder(options, documents).Examples(new Random(r.Training.Seed)).ToList();
        if (pairs.Count == 0)
            throw new DataException($"data.train {r.Data.Train}: no sentence pair could be built (every document is a single sentence?); {RecipeNames.EnumValue(r.Objective.Kind)} needs documents of two or more sentences.");
        _log.WriteLine($"{RecipeNames.EnumValue(r.Objective.Kind)}: {pairs.Count:N0} sentence pairs from {cache.DocumentCount:N0} documents ({pairs.Count(p => p.Label == 1):N0} with label 1)");
        return new PairExamples(pairs);
    }

    /// <summary>Notes that a cache was built, and logs its progress (documents, tokens, tokens/s) every 30 s of a long build.</summary>
    private sealed class BuildProgress(TextWriter log, string what) : IProgress<TokenCacheProgress>
    {
        private TimeSpan _next = TimeSpan.FromSeconds(30);
        public bool Built { get; private set; }
        public void Report(TokenCacheProgress value)
        {
            Built = true;
            if (value.Elapsed < _next) return;
            _next = value.Elapsed + TimeSpan.FromSeconds(30);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{what}: tokenizing: {value.Documents:N0} documents, {value.Tokens:N0} tokens in {value.Shards} shard(s), {value.TokensPerSecond:N0} tokens/s"));
        }
    }
}
