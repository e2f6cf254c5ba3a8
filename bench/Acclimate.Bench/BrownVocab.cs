using System.Diagnostics;
using Acclimate.Data.Corpora;
using Acclimate.Tokenization.Vocabulary;

namespace Acclimate.Bench;

/// <summary>
/// <c>brown-vocab --out DIR --vocab-size N FILE…</c>: trains a lowercase WordPiece vocabulary
/// (WordPieceTrainer, from branch feat-vocab3) on one-document-per-line corpus files — for the
/// Brown experiments, the training sides of the split only, so held-out text never shapes the vocabulary.
/// </summary>
public static class BrownVocab
{
    public static int Run(string[] args)
    {
        var outDir = Args.String(args, "--out") ?? throw new ArgumentException("--out DIR is required");
        var size = Args.Int(args, "--vocab-size", 8000);
        var files = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToList();
        if (files.Count == 0) throw new ArgumentException("give at least one corpus file");
        var clock = Stopwatch.StartNew();
        var texts = files.SelectMany(f => new CorpusReader(f).Documents()).Select(d => d.Text);
        var vocabulary = new WordPieceTrainer(new WordPieceTrainerOptions { VocabSize = size, Threads = 1 }).Train(texts);
        vocabulary.Save(outDir);
        Console.WriteLine($"{outDir}: {vocabulary.Count} tokens ({vocabulary.AlphabetSize} alphabet, {vocabulary.Merges} merges) from {string.Join(", ", files)} in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}

/// <summary>Tiny argument helpers shared by the bench entries.</summary>
public static class Args
{
    public static string? String(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Int(string[] args, string name, int fallback) =>
        String(args, name) is string s && int.TryParse(s, out var v) ? v : fallback;

    public static double Double(string[] args, string name, double fallback) =>
        String(args, name) is string s && double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
