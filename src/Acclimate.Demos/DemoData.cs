using System.Text;
using System.Text.Json;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Demos;

/// <summary>Sizes of one side of the demo's Brown split.</summary>
public sealed record DemoSplitCounts(string File, int Documents, long Words);

/// <summary>
/// The demo's data: Brown split by document (the same split and salt as <c>acclimate data
/// split-brown</c>): general text = the other genres, domain text = one genre, each with held-out
/// documents; plus POS files (token JSONL, Brown base tags) for the genre-held-out tagger: train
/// from general training documents, dev from general held-out documents, test from the domain's
/// held-out documents (never seen by any pretraining stage).
/// </summary>
public sealed record DemoData(
    string Folder,
    string GeneralTrain, string GeneralEval, string DomainTrain, string DomainEval,
    string PosTrain, string PosDev, string PosTest,
    IReadOnlyList<DemoSplitCounts> Counts, int PosTrainSentences, int PosDevSentences, int PosTestSentences)
{
    /// <summary>Writes the split into <paramref name="folder"/> from the Brown package at <paramref name="brownFolder"/>.</summary>
    public static DemoData Prepare(string brownFolder, string folder, string domainGenre, double heldOut)
    {
        var genres = BrownCorpus.ReadCategories(brownFolder).Select(c => c.Genre).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (!genres.Contains(domainGenre, StringComparer.Ordinal))
            throw new ConfigException($"data.domain_genre '{domainGenre}' is not a Brown genre; expected one of {string.Join(", ", genres)}.");
        var counts = BrownSplit.Write(brownFolder, folder, domainGenre, heldOut);

        var pos = new[] { "pos-train.jsonl", "pos-dev.jsonl", "pos-test.jsonl" };
        var sentences = new int[3];
        var writers = pos.Select(n => new StreamWriter(Path.Combine(folder, n), false, new UTF8Encoding(false)) { NewLine = "\n" }).ToArray();
        try
        {
            foreach (var doc in BrownCorpus.Read(brownFolder))
            {
                var held = DocumentSplit.IsHeldOut(doc.Id, heldOut, BrownSplit.Salt);
                var domain = doc.Genre == domainGenre;
                int target = domain ? (held ? 2 : -1) : (held ? 1 : 0);
                if (target < 0) continue;   // domain training documents carry no labels in this experiment
                foreach (var s in doc.Sentences)
                {
                    if (s.Tokens.Count == 0) continue;
                    var line = JsonSerializer.Serialize(new Dictionary<string, string[]>
                    {
                        ["tokens"] = s.Tokens.Select(t => t.Word).ToArray(),
                        ["tags"] = s.Tokens.Select(t => t.BaseTag).ToArray(),
                    });
                    writers[target].WriteLine(line);
                    sentences[target]++;
                }
            }
        }
        finally
        {
            foreach (var w in writers) w.Dispose();
        }
        for (var i = 0; i < 3; i++)
            if (sentences[i] == 0) throw new DataException($"{Path.Combine(folder, pos[i])}: the split left no sentences; use a larger data.held_out.");

        string P(string name) => Path.Combine(folder, name);
        return new DemoData(folder, P("general-train.txt"), P("general-eval.txt"), P("domain-train.txt"), P("domain-eval.txt"),
            P(pos[0]), P(pos[1]), P(pos[2]),
            counts.Select(kv => new DemoSplitCounts(kv.Key, kv.Value.Documents, kv.Value.Words)).ToList(),
            sentences[0], sentences[1], sentences[2]);
    }
}
