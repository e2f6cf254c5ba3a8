using Acclimate.Data.Batching;
using Acclimate.Data.Datasets;
using Acclimate.Evaluation;
using Acclimate.Models;
using Acclimate.Tokenization;
using Acclimate.FineTuning.Recipes;
using static TorchSharp.torch;

namespace Acclimate.FineTuning.Classification;

/// <summary>
/// A sequence classifier's inputs, predictions and scores, the same for fine-tuning (dev and test),
/// cross-validation, <c>acclimate evaluate</c>, <c>acclimate predict</c> and the model server:
/// token ids cut as the recipe (or a saved model's <see cref="ClassificationModelInfo"/>) says, the
/// best label with the label probabilities of each input, and accuracy / macro-F1 / per-class scores.
/// </summary>
public static class ClassificationPredictor
{
    /// <summary>Token ids of one example: [CLS] text [SEP] (pair [SEP]), single texts truncated by the recipe's strategy, pairs longest-first.</summary>
    public static long[] Encode(ITextTokenizer tokenizer, ClassificationExample example, FineTuneModelOptions model)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(example);
        ArgumentNullException.ThrowIfNull(model);
        if (example.TextPair is not null)
            return tokenizer.Encode(example.Text, example.TextPair, new EncodeOptions { MaxLength = model.MaxLength }).Ids.Select(i => (long)i).ToArray();
        var content = tokenizer.Encode(example.Text, null, new EncodeOptions { AddSpecialTokens = false }).Ids.Select(i => (long)i).ToArray();
        var truncation = new TruncationOptions(model.Truncation, model.MaxLength, Math.Min(model.HeadTokens, model.MaxLength - 2));
        return SequenceTruncation.Truncate(content, truncation, new long[] { tokenizer.ClsTokenId }, new long[] { tokenizer.SepTokenId }).InputIds;
    }

    /// <summary>Best label id and the label probabilities of each input, in eval mode without gradients.</summary>
    public static IReadOnlyList<(int Label, float[] Probabilities)> Predict(TransformerModel model, IReadOnlyList<long[]> inputs, long padId, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new List<(int, float[])>(inputs.Count);
        using var mode = new EvalModeScope(model);
        using var _ = no_grad();
        var device = model.parameters().First().device;
        for (var first = 0; first < inputs.Count; first += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = inputs.Skip(first).Take(batchSize).ToArray();
            var logits = model.Forward(Collate(chunk, padId, null, device)).Logits;
            var probs = TensorData.ToArray<float>(nn.functional.softmax(logits, -1).to(ScalarType.Float32).cpu());
            var n = (int)logits.shape[1];
            for (var r = 0; r < chunk.Length; r++)
            {
                var p = probs.Skip(r * n).Take(n).ToArray();
                results.Add((Array.IndexOf(p, p.Max()), p));
            }
        }
        return results;
    }

    /// <summary>Accuracy and per-class precision/recall/F1 of <paramref name="predicted"/> labels against the gold examples (same order).</summary>
    public static ClassificationReport Score(IReadOnlyList<ClassificationExample> gold, IReadOnlyList<string> predicted)
    {
        ArgumentNullException.ThrowIfNull(gold);
        return ClassificationMetrics.Compute(gold.Select(e => e.Label).ToArray(), predicted);
    }

    /// <summary>Accuracy, macro-F1, weighted F1 (the dev metrics fine-tuning reports and picks the best checkpoint by).</summary>
    public static IReadOnlyDictionary<string, double> Metrics(ClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = report.Accuracy,
            ["macro_f1"] = report.MacroF1,
            ["weighted_f1"] = report.WeightedAverage.F1,
        };
    }

    /// <summary>Right-padded input ids and attention mask (and labels, when given) on <paramref name="device"/>.</summary>
    internal static ModelInputs Collate(IReadOnlyList<long[]> rows, long padId, long[]? labels, Device device)
    {
        var width = RightPadding.Width(rows);
        var shape = new long[] { rows.Count, width };
        return new ModelInputs(tensor(RightPadding.Pad(rows, width, padId), shape, device: device), tensor(RightPadding.Mask(rows.Select(r => r.Length).ToArray(), width), shape, device: device))
        {
            Labels = labels is null ? null : tensor(labels, device: device),
        };
    }
}
