using Acclimate.Errors;

namespace Acclimate.Data.Datasets;

/// <summary>
/// Builds the label list a model's output layer is indexed by (ordinal sort, so the same data always
/// gives the same ids; <c>O</c> first for tag sets, the usual id 0) and checks that evaluation data uses
/// no label the training data lacks.
/// </summary>
public static class LabelSet
{
    /// <summary>The outside tag, placed first in tag sets.</summary>
    public const string Outside = "O";

    /// <summary>Distinct tags, <c>O</c> first when present, the rest in ordinal order.</summary>
    public static IReadOnlyList<string> ForTags(IEnumerable<TaggedSentence> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var tags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sentence in sentences) tags.UnionWith(sentence.Tags);
        var ordered = tags.Where(t => t != Outside).OrderBy(t => t, StringComparer.Ordinal);
        return (tags.Contains(Outside) ? ordered.Prepend(Outside) : ordered).ToArray();
    }

    /// <summary>Distinct labels in ordinal order.</summary>
    public static IReadOnlyList<string> ForLabels(IEnumerable<ClassificationExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return examples.Select(e => e.Label).Distinct(StringComparer.Ordinal).OrderBy(l => l, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Throws at the first tag of <paramref name="evaluation"/> missing from <paramref name="trainingTags"/>, naming file, line and tag.</summary>
    public static void CheckTagsCovered(IReadOnlyCollection<string> trainingTags, IEnumerable<TaggedSentence> evaluation)
    {
        ArgumentNullException.ThrowIfNull(trainingTags);
        ArgumentNullException.ThrowIfNull(evaluation);
        var known = trainingTags as ISet<string> ?? new HashSet<string>(trainingTags, StringComparer.Ordinal);
        foreach (var sentence in evaluation)
        {
            for (var i = 0; i < sentence.Tags.Count; i++)
            {
                if (!known.Contains(sentence.Tags[i]))
                    throw new DataException($"{sentence.SourceFile}:{sentence.TokenLine(i)}: tag '{sentence.Tags[i]}' (token '{sentence.Words[i]}') " +
                                            $"is not in the training tag set; expected one of {Describe(trainingTags)}.");
            }
        }
    }

    /// <summary>Throws at the first label of <paramref name="evaluation"/> missing from <paramref name="trainingLabels"/>, naming file, line and label.</summary>
    public static void CheckLabelsCovered(IReadOnlyCollection<string> trainingLabels, IEnumerable<ClassificationExample> evaluation)
    {
        ArgumentNullException.ThrowIfNull(trainingLabels);
        ArgumentNullException.ThrowIfNull(evaluation);
        var known = new HashSet<string>(trainingLabels, StringComparer.Ordinal);
        foreach (var example in evaluation)
        {
            if (!known.Contains(example.Label))
                throw new DataException($"{example.SourceFile}:{example.LineNumber}: label '{example.Label}' is not in the training label set; expected one of {Describe(trainingLabels)}.");
        }
    }

    private static string Describe(IEnumerable<string> labels)
    {
        var list = labels.ToList();
        var shown = string.Join(" ", list.Take(30));
        return list.Count > 30 ? $"{shown} … ({list.Count} in all)" : shown;
    }
}
