using System.Globalization;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// <c>data.train_weights</c>: one loss weight per line, line i for the training file's i-th
/// sentence (or example), e.g. the importance weights p(target|x)/p(pool|x) that
/// <c>acclimate select --method classifier --weights</c> writes for a pool given as the training file.
/// </summary>
internal static class SampleWeightsFile
{
    /// <summary>The weights in file order; a line that is not a finite number ≥ 0 is an error naming file and line.</summary>
    public static IReadOnlyList<double> Read(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: sample-weights file not found.");
        var weights = new List<double>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0) continue;
            // "weight<TAB>anything" is allowed so a file can carry the text it weights.
            var field = text.Split('\t')[0];
            if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || !double.IsFinite(w) || w < 0)
                throw new DataException($"{path}:{number}: '{field}' is not a sample weight; expected a finite number >= 0.");
            weights.Add(w);
        }
        return weights;
    }

    /// <summary>
    /// The weight of each sentence of <paramref name="train"/> (the training split, possibly a
    /// subsample) from the weights of every sentence of the full file, matched by source line.
    /// </summary>
    public static IReadOnlyList<double> ForSentences(string weightsPath, IReadOnlyList<TaggedSentence> fullFile, IReadOnlyList<TaggedSentence> train)
    {
        ArgumentNullException.ThrowIfNull(fullFile);
        ArgumentNullException.ThrowIfNull(train);
        var weights = Read(weightsPath);
        if (weights.Count != fullFile.Count)
            throw new DataException($"{weightsPath}: {weights.Count} weights for {fullFile.Count} sentences in {fullFile[0].SourceFile}; expected one weight per training sentence, in file order.");
        var byLine = new Dictionary<int, double>();
        for (var i = 0; i < fullFile.Count; i++) byLine[fullFile[i].LineNumber] = weights[i];
        return train.Select(s => byLine.TryGetValue(s.LineNumber, out var w) ? w
            : throw new DataException($"{s.SourceFile}:{s.LineNumber}: this training sentence has no weight in {weightsPath}.")).ToArray();
    }
}
