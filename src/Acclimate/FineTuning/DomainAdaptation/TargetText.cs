using Acclimate.Data.Corpora;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.DomainAdaptation;

/// <summary>Reads <c>adaptation.target_text</c>: one text per non-blank line, or a CoNLL file's sentences (tags ignored).</summary>
internal static class TargetText
{
    /// <summary>The target examples as word lists (text lines split on whitespace), at most <c>max_target</c>.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> ReadSentences(AdaptationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.TargetText ?? throw new ConfigException("adaptation.target_text is not set.");
        if (!File.Exists(path)) throw new DataException($"{path}: adaptation.target_text file not found.");
        IEnumerable<IReadOnlyList<string>> sentences = options.TargetFormat == TargetTextFormat.Conll
            ? ConllReader.Read(path).Select(s => s.Words)
            : TextLineReader.ReadLines(path).Select(l => (IReadOnlyList<string>)l.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var list = sentences.Where(s => s.Count > 0);
        if (options.MaxTarget > 0) list = list.Take(options.MaxTarget);
        var result = list.ToList();
        if (result.Count == 0) throw new DataException($"{path}: adaptation.target_text has no non-blank line / sentence; expected unlabeled target-domain text.");
        return result;
    }

    /// <summary>The target examples as texts (CoNLL sentences joined with spaces).</summary>
    public static IReadOnlyList<string> ReadTexts(AdaptationOptions options) =>
        ReadSentences(options).Select(words => string.Join(' ', words)).ToList();
}
