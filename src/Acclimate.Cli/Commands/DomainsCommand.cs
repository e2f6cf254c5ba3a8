using System.CommandLine;
using System.Globalization;
using System.Text;
using Acclimate.Adaptation;
using Acclimate.Checkpoints;
using Acclimate.Encoders;
using Acclimate.Errors;
using Acclimate.Reporting;
using Acclimate.Tokenization;
using Acclimate.IO;

namespace Acclimate.Cli.Commands;

/// <summary><c>acclimate domains compare</c>: how far corpora are from each other, and how a model's vocabulary fits each.</summary>
internal static class DomainsCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("domains", "Compare text domains.");
        command.Subcommands.Add(CreateCompare(output));
        return command;
    }

    private static Command CreateCompare(TextWriter output)
    {
        var corpora = new Argument<string[]>("corpora") { Description = "Corpus files (one document per line); NAME=PATH names one.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--output") { Description = "Folder for domains.md, vocabulary-overlap.csv/.png (and embeddings.csv with --model).", Required = true };
        var topK = new Option<int>("--top-k") { Description = "Most frequent words (stop words removed) compared per corpus.", DefaultValueFactory = _ => 10_000 };
        var model = new Option<string?>("--model") { Description = "Encoder folder: adds tokens per word, unknown-token rate and embedding distances (mean-embedding cosine, MMD)." };
        var sample = new Option<int>("--sample") { Description = "Documents per corpus embedded for the distances.", DefaultValueFactory = _ => 200 };
        var maxDocuments = new Option<int>("--max-documents") { Description = "Documents read per corpus (the first N).", DefaultValueFactory = _ => 100_000 };
        var command = new Command("compare", "Vocabulary overlap between corpora (the DAPT paper's figure), tokens per word and unknown rate of a model's vocabulary, embedding distances.")
        {
            corpora, outDir, topK, model, sample, maxDocuments,
        };
        command.SetAction(result =>
        {
            var loaded = result.GetValue(corpora)!.Select(arg =>
            {
                var eq = arg.IndexOf('=');
                return eq > 0 && !File.Exists(arg) ? DomainCorpus.Load(arg[(eq + 1)..], arg[..eq], result.GetValue(maxDocuments)) : DomainCorpus.Load(arg, null, result.GetValue(maxDocuments));
            }).ToList();
            if (loaded.Select(c => c.Name).Distinct().Count() != loaded.Count)
                throw new ConfigException("two corpora have the same name; name them NAME=PATH.");
            var folder = result.GetValue(outDir)!;
            Directory.CreateDirectory(folder);
            var names = loaded.Select(c => c.Name).ToList();
            var k = result.GetValue(topK);
            var overlap = DomainSimilarity.VocabularyOverlap(loaded, k);
            var report = new StringBuilder($"# Domain comparison\n\nVocabulary overlap: the share of the {k:N0} most frequent words (lower-cased, stop words and numbers left out) two corpora have in common, in %.\n\n");
            report.AppendLine(DomainSimilarity.MatrixMarkdown(names, overlap, "overlap %"));
            report.AppendLine("![vocabulary overlap](vocabulary-overlap.png)\n");
            AtomicFile.WriteAllText(Path.Combine(folder, "vocabulary-overlap.csv"), Csv(names, overlap));
            Plots.Heatmap(Path.Combine(folder, "vocabulary-overlap.png"), $"Vocabulary overlap (top {k:N0} words)", names, overlap);

            if (result.GetValue(model) is { } modelFolder)
            {
                var tokenizer = TokenizerLoader.FromFolder(modelFolder);
                report.AppendLine($"## Vocabulary of `{modelFolder}`\n\n| corpus | words | tokens per word | unknown-token rate |\n|---|---:|---:|---:|");
                foreach (var c in loaded)
                {
                    var fit = DomainSimilarity.Fit(tokenizer, c);
                    report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {c.Name} | {fit.Words:N0} | {fit.TokensPerWord:F3} | {fit.UnknownRate:P2} |"));
                    if (fit.UnknownRate > 0.05)
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warning: {c.Name}: {fit.UnknownRate:P1} of tokens are unknown to this vocabulary; it does not cover this text's script or alphabet."));
                }
                var n = result.GetValue(sample);
                using var embedder = new SentenceEmbedder(modelFolder);
                var embeddings = loaded.Select(c => embedder.Embed(c.Documents.Take(n).ToList())).ToList();
                var cosine = new double[loaded.Count, loaded.Count];
                var mmd = new double[loaded.Count, loaded.Count];
                for (var i = 0; i < loaded.Count; i++)
                    for (var j = 0; j < loaded.Count; j++)
                    {
                        cosine[i, j] = EmbeddingDistance.MeanCosine(embeddings[i], embeddings[j]);
                        mmd[i, j] = i == j ? 0 : EmbeddingDistance.Mmd2(embeddings[i], embeddings[j]);
                    }
                report.AppendLine($"\n## Embedding distances ({embedder.Pooling.ToString().ToLowerInvariant()}-pooled, normalised embeddings of the first {n} documents)\n");
                report.AppendLine("Cosine similarity of the mean embeddings (%):\n");
                report.AppendLine(DomainSimilarity.MatrixMarkdown(names, cosine, "cosine %"));
                report.AppendLine("Squared MMD, Gaussian kernel with the median-distance bandwidth (×100; 0 = same distribution):\n");
                report.AppendLine(DomainSimilarity.MatrixMarkdown(names, mmd, "MMD² ×100"));
            }
            AtomicFile.WriteAllText(Path.Combine(folder, "domains.md"), report.ToString());
            output.Write(report.ToString());
            output.WriteLine($"wrote {folder}/domains.md, vocabulary-overlap.csv and vocabulary-overlap.png");
            return 0;
        });
        return command;
    }

    private static string Csv(IReadOnlyList<string> names, double[,] values)
    {
        var text = new StringBuilder("corpus," + string.Join(",", names) + "\n");
        for (var i = 0; i < names.Count; i++)
            text.AppendLine(names[i] + "," + string.Join(",", names.Select((_, j) => values[i, j].ToString("R", CultureInfo.InvariantCulture))));
        return text.ToString();
    }
}
