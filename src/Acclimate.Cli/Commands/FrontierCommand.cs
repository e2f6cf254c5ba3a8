using System.CommandLine;
using System.Globalization;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using Acclimate.Training;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate frontier --start DIR --model LABEL=DIR … --domain PATH --general PATH --out DIR</c>:
/// scores every model's held-out masked-LM loss on a domain and a general set (the same masks for
/// all) and writes the forgetting frontier (<see cref="ForgettingFrontierReport"/>). Scores are kept in
/// <c>OUT/losses.tsv</c> keyed by model folder, weights file size and time, set and settings, so adding a
/// model later scores only that model.
/// </summary>
internal static class FrontierCommand
{
    private const string LossFile = "losses.tsv";

    public static Command Create(TextWriter output)
    {
        var start = new Option<string>("--start") { Description = "The model every method continued from (its losses are the origin of both axes).", Required = true };
        var models = new Option<string[]>("--model") { Description = "LABEL=FOLDER, repeated; give the same label to each independent pretraining run of a method.", Required = true, AllowMultipleArgumentsPerToken = true };
        var reference = new Option<string>("--reference") { Description = "The label whose mean defines 'all of the domain gain' and 'all of the forgetting' (usually plain DAPT).", DefaultValueFactory = _ => "plain" };
        var domain = new Option<string>("--domain") { Description = "Domain held-out corpus (text, JSONL, .gz, Parquet).", Required = true };
        var general = new Option<string>("--general") { Description = "General held-out corpus.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Folder for frontier.md, frontier.tsv, frontier.png and the loss cache.", Required = true };
        var corpusFile = new CorpusFileOptions();
        var blockSize = new Option<int>("--block-size") { DefaultValueFactory = _ => 128 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var maxBlocks = new Option<int>("--max-blocks") { Description = "Score at most this many blocks per set (0 = all).", DefaultValueFactory = _ => 256 };
        var tokenCache = new Option<string?>("--token-cache") { Description = "Token cache root (default: the Acclimate cache's tokens/)." };
        var threads = new Option<int>("--threads") { Description = "torch threads (0 = physical cores).", DefaultValueFactory = _ => 0 };
        var device = CommonOptions.Device();
        var command = new Command("frontier", "The forgetting frontier: for each model, the share of the reference's domain gain it keeps against the share of the reference's general loss it avoids, from held-out masked-LM losses with fixed masks; methods with several pretraining runs are drawn with their spread and the Pareto set is marked.")
        {
            start, models, reference, domain, general, outDir, blockSize, batchSize, maxBlocks, tokenCache, threads, device,
        };
        corpusFile.AddTo(command);
        command.SetAction(result =>
        {
            var labelled = result.GetValue(models)!.Select(ParseModel).ToList();
            var startFolder = result.GetValue(start)!;
            foreach (var folder in labelled.Select(m => m.Folder).Prepend(startFolder))
                if (!Directory.Exists(folder)) throw new ConfigException($"--model/--start: model folder '{folder}' does not exist.");
            var sets = new[] { ("domain", result.GetValue(domain)!), ("general", result.GetValue(general)!) };
            foreach (var (name, path) in sets)
                if (!File.Exists(path) && !Directory.Exists(path)) throw new ConfigException($"--{name}: corpus '{path}' does not exist.");

            TorchRuntime.EnsureInitialized();
            TorchRuntime.SetThreads(TrainingEnvironment.ThreadsFor(result.GetValue(threads)));
            var settings = new HeldOutMlmSettings
            {
                BlockSize = result.GetValue(blockSize),
                BatchSize = result.GetValue(batchSize),
                MaxBlocks = result.GetValue(maxBlocks),
                Corpus = corpusFile.Read(result),
                TokenCacheRoot = result.GetValue(tokenCache),
                Device = TorchRuntime.ResolveDevice(result.GetValue(device)),
            };
            var folderOut = result.GetValue(outDir)!;
            Directory.CreateDirectory(folderOut);
            var cache = LossCache.Read(Path.Combine(folderOut, LossFile));
            double Loss(string folder, string set, string corpus)
            {
                var key = LossCache.Key(folder, set, corpus, settings);
                if (cache.TryGetValue(key, out var known)) return known;
                var score = HeldOutMlm.Score(folder, corpus, settings).Mlm;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{folder} on {set}: loss {score.Loss:F4}, perplexity {score.Perplexity:F2} ({score.MaskedTokens:N0} masked tokens)"));
                cache[key] = score.Loss;
                LossCache.Write(Path.Combine(folderOut, LossFile), cache);
                return score.Loss;
            }

            var startDomain = Loss(startFolder, "domain", sets[0].Item2);
            var startGeneral = Loss(startFolder, "general", sets[1].Item2);
            var runs = labelled.Select(m => new FrontierRun(m.Label, m.Folder, Loss(m.Folder, "domain", sets[0].Item2), Loss(m.Folder, "general", sets[1].Item2))).ToList();
            var frontier = ForgettingFrontier.Build(startDomain, startGeneral, result.GetValue(reference)!, runs);
            ForgettingFrontierReport.Write(folderOut, frontier, sets[0].Item2, sets[1].Item2);
            foreach (var m in frontier.Methods)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{m.Label}: {m.Runs.Count} run(s), domain gain kept {m.DomainGainKept:P0}, general loss avoided {m.GeneralLossAvoided:P0}{(m.OnParetoSet ? ", on the Pareto set" : "")}"));
            output.WriteLine($"wrote {Path.Combine(folderOut, ForgettingFrontierReport.MarkdownFile)}, {ForgettingFrontierReport.TableFile}, {ForgettingFrontierReport.PlotFile}");
            return 0;
        });
        return command;
    }

    private static (string Label, string Folder) ParseModel(string value)
    {
        var eq = value.IndexOf('=');
        if (eq <= 0 || eq == value.Length - 1)
            throw new ConfigException($"--model '{value}': expected LABEL=FOLDER (e.g. plain=runs/dapt/run-1/model).");
        return (value[..eq], value[(eq + 1)..]);
    }

    /// <summary>Scores already computed: one line per (model, weights file, set, corpus, settings) key and its loss.</summary>
    private static class LossCache
    {
        public static string Key(string folder, string set, string corpus, HeldOutMlmSettings s)
        {
            var weights = Directory.EnumerateFiles(folder, "*.safetensors").Concat(Directory.EnumerateFiles(folder, "*.bin")).Order(StringComparer.Ordinal)
                .Select(f => new FileInfo(f)).Select(f => FormattableString.Invariant($"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
            var corpusInfo = "folder";
            if (File.Exists(corpus))
            {
                var file = new FileInfo(corpus);
                corpusInfo = FormattableString.Invariant($"{file.Length}:{file.LastWriteTimeUtc.Ticks}");
            }
            return string.Join("|", Path.GetFullPath(folder), string.Join(",", weights), set, Path.GetFullPath(corpus), corpusInfo,
                FormattableString.Invariant($"{s.BlockSize}/{s.MaxBlocks}/{s.Corpus.Format}/{s.Corpus.Mode}/{s.Corpus.TextField}"));
        }

        public static Dictionary<string, double> Read(string path)
        {
            var cache = new Dictionary<string, double>(StringComparer.Ordinal);
            if (!File.Exists(path)) return cache;
            var n = 0;
            foreach (var line in File.ReadLines(path))
            {
                n++;
                var tab = line.LastIndexOf('\t');
                if (tab <= 0 || !double.TryParse(line[(tab + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var loss))
                    throw new ConfigException($"{path}:{n}: expected KEY<TAB>LOSS; delete the file to score every model again.");
                cache[line[..tab]] = loss;
            }
            return cache;
        }

        public static void Write(string path, Dictionary<string, double> cache) =>
            AtomicFile.WriteText(path, w =>
            {
                foreach (var (key, loss) in cache.OrderBy(k => k.Key, StringComparer.Ordinal))
                    w.Write(FormattableString.Invariant($"{key}\t{loss:R}\n"));
            });
    }
}
