using Acclimate.Models;
using static TorchSharp.torch;

namespace Acclimate.Tests.Training;

/// <summary>Small models and batches for training tests: 2 layers, hidden 32, dropout as HF's default (0.1).</summary>
internal static class TinyModels
{
    public const int Vocab = 50;
    public const int Length = 10;

    public static EncoderConfig BertConfig(int layers = 2) =>
        EncoderConfig.Create(ModelType.Bert, vocabSize: Vocab, hiddenSize: 32, numLayers: layers, numHeads: 4, intermediateSize: 48, maxPositions: 32);

    public static TransformerModel MaskedLm(long initSeed, int layers = 2)
    {
        manual_seed(initSeed);
        return ModelFactory.Create(BertConfig(layers), ModelTask.MaskedLM);
    }

    /// <summary>Token sequences (ids 5 … Vocab-1), deterministic in <paramref name="seed"/>.</summary>
    public static IReadOnlyList<int[]> Sequences(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, Length).Select(_ => random.Next(5, Vocab)).ToArray()).ToList();
    }

    /// <summary>
    /// An MLM batch: about 30% of positions masked (id 4) with labels there, the masking drawn
    /// from System.Random(seed, batch index) so it is a pure function of the batch's position.
    /// </summary>
    public static ModelInputs MlmBatch(IReadOnlyList<int[]> rows, long batchIndex, int seed)
    {
        var random = new Random(unchecked(seed * 7919 + (int)batchIndex));
        var ids = new long[rows.Count * Length];
        var labels = new long[rows.Count * Length];
        for (var r = 0; r < rows.Count; r++)
            for (var c = 0; c < Length; c++)
            {
                var i = r * Length + c;
                var masked = random.NextDouble() < 0.3 || c == 0;
                ids[i] = masked ? 4 : rows[r][c];
                labels[i] = masked ? rows[r][c] : -100;
            }
        return new ModelInputs(tensor(ids).reshape(rows.Count, Length), ones(rows.Count, Length, dtype: ScalarType.Int64))
        {
            Labels = tensor(labels).reshape(rows.Count, Length),
        };
    }
}
