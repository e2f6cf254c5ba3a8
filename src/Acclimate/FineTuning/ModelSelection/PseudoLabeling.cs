using Acclimate.Data.Corpora;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;

namespace Acclimate.FineTuning.ModelSelection;

/// <summary>
/// Self-training with pseudo-labels: a trained tagger labels unlabeled target sentences, and those
/// whose confidence reaches a threshold join the gold data with their own loss weight (the loss
/// is (1/(n+m)) Σ wᵢ·Lᵢ, see <see cref="WeightedTaggingLoss"/>). Confidence of a sentence is the
/// mean over its words of the probability of the chosen label: the CRF's marginal for a CRF
/// tagger (forward–backward), the softmax of the scores otherwise.
/// </summary>
internal static class PseudoLabeling
{
    /// <summary>Mean over words of probabilities[w, path[w]]; 0 for an empty sentence.</summary>
    public static double Confidence(float[,] probabilities, IReadOnlyList<int> path)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(path);
        if (path.Count != probabilities.GetLength(0)) throw new DataException($"{path.Count} labels for {probabilities.GetLength(0)} words.");
        if (path.Count == 0) return 0;
        double sum = 0;
        for (var w = 0; w < path.Count; w++) sum += probabilities[w, path[w]];
        return sum / path.Count;
    }

    /// <summary>Indices of the candidates whose confidence is at least <paramref name="threshold"/>.</summary>
    public static int[] Select(IReadOnlyList<double> confidences, double threshold)
    {
        ArgumentNullException.ThrowIfNull(confidences);
        if (!(threshold >= 0 && threshold <= 1)) throw new ConfigException($"pseudo-label threshold must be in [0, 1] (got {threshold}).");
        return Enumerable.Range(0, confidences.Count).Where(i => confidences[i] >= threshold).ToArray();
    }

    /// <summary>
    /// Labels the unlabeled file (one sentence per line, words split on whitespace) with the tagger
    /// in <paramref name="modelFolder"/> and returns the confident sentences with tags in the files' scheme.
    /// </summary>
    public static IReadOnlyList<TaggedSentence> Label(string modelFolder, TaggingTask task, PseudoLabelOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        var path = options.Unlabeled ?? throw new ConfigException("pseudo_labels.unlabeled is not set.");
        if (!File.Exists(path)) throw new DataException($"{path}: unlabeled file not found.");
        var lines = new List<(string[] Words, int Line)>();
        foreach (var line in TextLineReader.ReadLines(path))
        {
            var words = line.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            lines.Add((words, line.Number));
            if (options.MaxUnlabeled > 0 && lines.Count >= options.MaxUnlabeled) break;
        }
        if (lines.Count == 0) throw new DataException($"{path}: the unlabeled file has no non-blank line.");
        using var labeler = task.Load(modelFolder);
        var scores = TaggingPredictor.WordScores(labeler, task.Words, lines.Select(l => (IReadOnlyList<string>)l.Words).ToArray(), task.Info.Stride);
        var paths = TaggingPredictor.Decode(scores, labeler.Head.Crf);
        var probabilities = TaggingPredictor.WordProbabilities(scores, labeler.Head.Crf);
        var confidences = probabilities.Select((p, i) => Confidence(p, paths[i])).ToArray();
        var kept = Select(confidences, options.Threshold);
        log?.WriteLine($"pseudo-labels: {kept.Length} of {lines.Count} sentences at confidence >= {options.Threshold}");
        return kept.Select(i => new TaggedSentence(lines[i].Words, task.Space.ToFile(paths[i].Select(id => labeler.Labels[id]).ToArray()).ToArray(), path, lines[i].Line, oneTokenPerLine: false)).ToArray();
    }
}
