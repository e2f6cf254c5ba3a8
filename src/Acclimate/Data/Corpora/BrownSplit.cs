using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Data.Corpora;

/// <summary>
/// Brown as four one-document-per-line corpora for domain-adaptation experiments: one genre as the
/// domain, the other 14 as general text, each side split into training and held-out documents by a
/// fixed hash of the document id (the same split on every machine and run).
/// </summary>
public static class BrownSplit
{
    /// <summary>The salt of the Brown document split (fixed, so every run and machine gets the same split).</summary>
    public const string Salt = "acclimate-brown-pretraining";

    /// <summary>The four files <see cref="Write"/> writes, in this order.</summary>
    public static readonly IReadOnlyList<string> FileNames = new[] { "domain-train.txt", "domain-eval.txt", "general-train.txt", "general-eval.txt" };

    /// <summary>
    /// Writes domain-train.txt, domain-eval.txt (documents of <paramref name="genre"/>) and
    /// general-train.txt, general-eval.txt (the other genres) into <paramref name="outDir"/>, one
    /// document per line (paragraphs joined by a space); a document is held out when
    /// <see cref="DocumentSplit.IsHeldOut"/> says so. The files appear together at the end (each
    /// written under a temporary name), so an interrupted split leaves no partial corpus behind.
    /// </summary>
    /// <returns>Documents and words per file name.</returns>
    public static IReadOnlyDictionary<string, (int Documents, long Words)> Write(string packageDirectory, string outDir, string genre, double heldOutFraction)
    {
        if (!BrownGenres.Names.Contains(genre)) throw new ConfigException($"'{genre}' is not a Brown genre; expected one of {string.Join(", ", BrownGenres.Names)}.");
        Directory.CreateDirectory(outDir);
        var pending = FileNames.ToDictionary(n => n, n => AtomicFile.Begin(Path.Combine(outDir, n)));
        try
        {
            var writers = FileNames.ToDictionary(n => n, n => new StreamWriter(pending[n].Stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" });
            var counts = FileNames.ToDictionary(n => n, _ => (Documents: 0, Words: 0L));
            foreach (var doc in BrownCorpus.Read(packageDirectory))
            {
                var held = DocumentSplit.IsHeldOut(doc.Id, heldOutFraction, Salt);
                var name = (doc.Genre == genre ? "domain" : "general") + (held ? "-eval.txt" : "-train.txt");
                var text = doc.Text.Replace('\n', ' ');
                writers[name].WriteLine(text);
                counts[name] = (counts[name].Documents + 1, counts[name].Words + text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
            }
            foreach (var (name, (docs, _)) in counts)
                if (docs == 0) throw new DataException($"{Path.Combine(outDir, name)}: the split left it empty; use a larger held-out fraction or another genre.");
            foreach (var name in FileNames)
            {
                writers[name].Dispose();
                pending[name].Commit();
            }
            return counts;
        }
        finally
        {
            foreach (var p in pending.Values) p.Dispose();
        }
    }
}
