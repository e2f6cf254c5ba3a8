namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// Softmax over labels for each word of a [words, labels] score matrix, summed in double and stored
/// as float: the per-word probabilities a tagger without a CRF reports, computed the same way by the
/// libtorch predictor and by ONNX Runtime inference.
/// </summary>
public static class WordSoftmax
{
    /// <summary>Row-wise softmax of <paramref name="scores"/> [words, labels].</summary>
    public static float[,] Of(float[,] scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var (words, labels) = (scores.GetLength(0), scores.GetLength(1));
        var result = new float[words, labels];
        for (var w = 0; w < words; w++)
        {
            var max = double.NegativeInfinity;
            for (var l = 0; l < labels; l++) max = Math.Max(max, scores[w, l]);
            double sum = 0;
            for (var l = 0; l < labels; l++) sum += Math.Exp(scores[w, l] - max);
            for (var l = 0; l < labels; l++) result[w, l] = (float)(Math.Exp(scores[w, l] - max) / sum);
        }
        return result;
    }
}
