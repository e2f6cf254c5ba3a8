using Acclimate.Data.Datasets;
using Acclimate.Evaluation;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using TorchSharp;

namespace Acclimate.FineTuning;

/// <summary>
/// Scores a saved fine-tuned model on a labelled file, as <c>acclimate evaluate</c> and
/// <c>acclimate ensemble</c> do: the file is read in the model's label scheme, every label in it
/// must be one the model knows, and the scores are the ones fine-tuning reports on dev and test.
/// </summary>
public static class SavedModelEvaluation
{
    /// <summary>Reads <paramref name="path"/> in the tagger's scheme, predicts every sentence and scores the predictions (seqeval entity scores, or per-tag scores for plain tags).</summary>
    /// <param name="tagger">One tagger, or several combined by <paramref name="method"/>.</param>
    /// <param name="path">The labelled file.</param>
    /// <param name="format">Its format (CoNLL, token JSONL or span JSONL).</param>
    /// <param name="method">How an ensemble combines its members (ignored for one tagger).</param>
    /// <param name="predictionsPath">When set, gold and predicted tags per sentence are written to this JSONL file.</param>
    public static TaggingScores Tagger(TaggerEnsemble tagger, string path, DatasetFormat format, EnsembleMethod method = EnsembleMethod.Average, string? predictionsPath = null)
    {
        ArgumentNullException.ThrowIfNull(tagger);
        var options = new FineTuneDataOptions { Format = format, Train = path, Dev = path, Scheme = tagger.Info.FileScheme?.ToString() ?? "none" };
        var gold = TaggingDataset.ReadFile(path, options);
        new TagSpace(tagger.Info.FileScheme, tagger.Info.ModelScheme, tagger.Labels).CheckCovered(gold);
        var predicted = tagger.Predict(gold.Select(s => s.Words).ToArray(), method);
        if (predictionsPath is not null) TaggingPredictionsFile.Write(predictionsPath, gold, predicted);
        return TaggingScores.Compute(gold, predicted, tagger.Info.FileScheme);
    }

    /// <summary>Loads the sequence classifier in <paramref name="folder"/>, predicts every example of <paramref name="path"/> and scores it (accuracy, macro-F1, per class).</summary>
    /// <param name="folder">A classifier folder written by fine-tuning (its best-model).</param>
    /// <param name="path">The labelled file (JSONL, CSV or TSV).</param>
    /// <param name="maxLength">The input length for a folder without classification.json (head truncation); a folder with one uses its own settings.</param>
    /// <param name="device">Where the model runs.</param>
    public static ClassificationReport Classifier(string folder, string path, int maxLength, torch.Device device)
    {
        using var classifier = DevicePlacement.MoveTo(ClassifierFolder.Load(folder), device);
        var tokenizer = TokenizerLoader.FromFolder(folder);
        var examples = ClassificationTask.Read(path, new FineTuneDataOptions());
        var labels = classifier.Config.Labels;
        LabelSet.CheckLabelsCovered(labels, examples);
        var model = ClassificationModelInfo.TryLoad(folder)?.ToModelOptions(folder) ?? new FineTuneModelOptions { Encoder = folder, MaxLength = maxLength };
        var predicted = ClassificationPredictor.Predict(classifier, examples.Select(e => ClassificationPredictor.Encode(tokenizer, e, model)).ToArray(), classifier.Config.PadTokenId);
        return ClassificationPredictor.Score(examples, predicted.Select(p => labels[p.Label]).ToArray());
    }
}
