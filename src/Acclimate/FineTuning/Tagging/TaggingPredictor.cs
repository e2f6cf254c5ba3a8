using Acclimate.Errors;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// Word-level scores and predictions of a <see cref="SequenceLabeler"/> for pre-split sentences.
/// Scores are the head's emissions at each word's first subword ([words, labels] per sentence);
/// a sentence longer than one input is scored through overlapping windows (each token from the
/// window where it has the most context). Decoding is Viterbi with a CRF, argmax without — on the
/// scores of one model, or on scores averaged over an ensemble.
/// </summary>
internal static class TaggingPredictor
{
    /// <summary>Per sentence, the emissions of its words [words, labels].</summary>
    public static IReadOnlyList<float[,]> WordScores(SequenceLabeler labeler, WordEncoder encoder, IReadOnlyList<IReadOnlyList<string>> sentences, int stride, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(labeler);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(sentences);
        var results = new float[sentences.Count][,];
        var numLabels = labeler.Labels.Count;
        using var mode = new EvalModeScope(labeler);
        using var _ = no_grad();
        var shortOnes = new List<int>();
        for (var i = 0; i < sentences.Count; i++)
        {
            if (sentences[i].Count == 0) { results[i] = new float[0, numLabels]; continue; }
            if (encoder.Fits(sentences[i])) { shortOnes.Add(i); continue; }
            using var scope = NewDisposeScope();
            var content = encoder.Content(sentences[i]);
            var emissions = labeler.TokenEmissionsLong(content.InputIds, encoder.Prefix, encoder.Suffix, stride, encoder.MaxLength);
            var first = SubwordAlignment.FirstTokenOfEachWord(content.WordIds, content.WordCount);
            var rows = emissions.index_select(0, tensor(first.Select(f => (long)f).ToArray(), device: emissions.device));
            results[i] = ToMatrix(TensorData.ToArray<float>(rows.to(ScalarType.Float32).cpu()), content.WordCount, numLabels, 0);
        }
        // Sorting by length keeps padding small.
        shortOnes.Sort((a, b) => sentences[a].Count.CompareTo(sentences[b].Count));
        for (var first = 0; first < shortOnes.Count; first += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = shortOnes.Skip(first).Take(batchSize).ToArray();
            var inputs = chunk.Select(i => encoder.Encode(sentences[i])).ToArray();
            var output = labeler.Run(labeler.Collate(inputs));
            var wordEmissions = output.WordEmissions!.to(ScalarType.Float32).cpu();
            var width = (int)wordEmissions.shape[1];
            var flat = TensorData.ToArray<float>(wordEmissions);
            for (var r = 0; r < chunk.Length; r++)
                results[chunk[r]] = ToMatrix(flat, inputs[r].WordCount, numLabels, r * width * numLabels);
        }
        return results;
    }

    /// <summary>Best label ids per word: Viterbi with <paramref name="crf"/> (null: argmax).</summary>
    public static IReadOnlyList<int[]> Decode(IReadOnlyList<float[,]> scores, ConditionalRandomField? crf, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var results = new int[scores.Count][];
        if (crf is null)
        {
            for (var i = 0; i < scores.Count; i++) results[i] = Argmax(scores[i]);
            return results;
        }
        using var _ = no_grad();
        for (var first = 0; first < scores.Count; first += batchSize)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(batchSize, scores.Count - first);
            var (emissions, mask, _) = Pad(scores, first, count, crf.Transitions.device);
            var paths = crf.Decode(emissions, mask).Paths;
            for (var r = 0; r < count; r++) results[first + r] = paths[r];
        }
        return results;
    }

    /// <summary>Softmax over labels for each word.</summary>
    public static float[,] Probabilities(float[,] scores) => WordSoftmax.Of(scores);

    /// <summary>
    /// Per-word label marginals p(yₜ = k | sentence) of a CRF over the given emissions [words, labels]
    /// (see <see cref="ConditionalRandomField.Marginals"/>). Rows sum to 1.
    /// </summary>
    public static float[,] CrfMarginals(ConditionalRandomField crf, float[,] scores) => CrfMarginals(crf, new[] { scores })[0];

    /// <summary>
    /// CRF marginals for many sentences, <paramref name="batchSize"/> at a time on the CRF's device
    /// (one forward–backward per batch, not per sentence).
    /// </summary>
    public static IReadOnlyList<float[,]> CrfMarginals(ConditionalRandomField crf, IReadOnlyList<float[,]> scores, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(crf);
        ArgumentNullException.ThrowIfNull(scores);
        var results = new float[scores.Count][,];
        for (var first = 0; first < scores.Count; first += batchSize)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(batchSize, scores.Count - first);
            var (emissions, mask, width) = Pad(scores, first, count, crf.Transitions.device);
            var marginals = crf.Marginals(emissions.to(crf.Transitions.dtype), mask);
            var flat = TensorData.ToArray<float>(marginals.to(ScalarType.Float32).cpu());
            for (var r = 0; r < count; r++)
                results[first + r] = ToMatrix(flat, scores[first + r].GetLength(0), crf.NumTags, r * width * crf.NumTags);
        }
        return results;
    }

    /// <summary>Label probabilities per word: CRF marginals with a CRF, the softmax of the scores without.</summary>
    public static float[,] WordProbabilities(float[,] scores, ConditionalRandomField? crf) =>
        crf is null ? Probabilities(scores) : CrfMarginals(crf, scores);

    /// <summary>Label probabilities per word for many sentences (CRF marginals batched).</summary>
    public static IReadOnlyList<float[,]> WordProbabilities(IReadOnlyList<float[,]> scores, ConditionalRandomField? crf) =>
        crf is null ? scores.Select(Probabilities).ToArray() : CrfMarginals(crf, scores);

    // Sentences first..first+count-1 as one right-padded [count, width, labels] batch and its mask.
    private static (Tensor Emissions, Tensor Mask, int Width) Pad(IReadOnlyList<float[,]> scores, int first, int count, Device device)
    {
        var labels = scores[first].GetLength(1);
        var width = Math.Max(1, Enumerable.Range(first, count).Max(i => scores[i].GetLength(0)));
        var data = new float[count * width * labels];
        var mask = new bool[count * width];
        for (var r = 0; r < count; r++)
        {
            var m = scores[first + r];
            if (m.GetLength(1) != labels) throw new DataException($"sentence {first + r} has scores for {m.GetLength(1)} labels; expected {labels}.");
            for (var w = 0; w < m.GetLength(0); w++)
            {
                mask[r * width + w] = true;
                for (var l = 0; l < labels; l++) data[(r * width + w) * labels + l] = m[w, l];
            }
        }
        return (tensor(data, new long[] { count, width, labels }, device: device), tensor(mask, new long[] { count, width }, device: device), width);
    }

    /// <summary>Predicted tags (model labels) per sentence from one labeler.</summary>
    public static IReadOnlyList<string[]> PredictTags(SequenceLabeler labeler, WordEncoder encoder, IReadOnlyList<IReadOnlyList<string>> sentences, int stride, int batchSize = 32)
    {
        var scores = WordScores(labeler, encoder, sentences, stride, batchSize);
        return Decode(scores, labeler.Head.Crf).Select(p => p.Select(id => labeler.Labels[id]).ToArray()).ToArray();
    }

    private static int[] Argmax(float[,] m)
    {
        var result = new int[m.GetLength(0)];
        for (var w = 0; w < result.Length; w++)
        {
            var best = 0;
            for (var l = 1; l < m.GetLength(1); l++) if (m[w, l] > m[w, best]) best = l;
            result[w] = best;
        }
        return result;
    }

    private static float[,] ToMatrix(float[] flat, int rows, int cols, int offset)
    {
        var m = new float[rows, cols];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++) m[r, c] = flat[offset + r * cols + c];
        return m;
    }
}
