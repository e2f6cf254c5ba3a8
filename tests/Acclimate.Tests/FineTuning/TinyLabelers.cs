using Acclimate.FineTuning;
using Acclimate.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

/// <summary>Tiny encoders and labelers for tests: small enough that every test runs in milliseconds.</summary>
internal static class TinyLabelers
{
    public const int VocabSize = 40;
    public const int MaxPositions = 16;

    /// <summary>O, B-A, I-A, B-B, I-B: the tag set matching <see cref="ConditionalRandomFieldTests.Bio"/>(2).</summary>
    public static readonly string[] BioLabels = { "O", "B-A", "I-A", "B-B", "I-B" };

    public static EncoderConfig Config(ModelType type = ModelType.Bert) =>
        EncoderConfig.Create(type, vocabSize: VocabSize, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 24,
            embeddingSize: type is ModelType.Albert or ModelType.Electra ? 8 : null, maxPositions: type == ModelType.Roberta ? MaxPositions + 2 : MaxPositions);

    public static SequenceLabelerOptions Options(TokenHeadKind head, bool crf, LayerFusion fusion = LayerFusion.Last, int fusedLayers = 1, bool constrained = false) => new()
    {
        Labels = BioLabels,
        Head = head,
        UseCrf = crf,
        CrfConstraints = constrained ? ConditionalRandomFieldTests.Bio(2) : null,
        Fusion = fusion,
        FusedLayers = fusedLayers,
        LstmHiddenSize = 6,
        CnnKernelSizes = new[] { 2, 3 },
        CnnChannels = 5,
        Dropout = 0.1,
    };

    public static SequenceLabeler Create(TokenHeadKind head, bool crf, LayerFusion fusion = LayerFusion.Last, int fusedLayers = 1, bool constrained = false, int seed = 1, ModelType type = ModelType.Bert)
    {
        manual_seed(seed);
        var labeler = SequenceLabeler.Create(Config(type), Options(head, crf, fusion, fusedLayers, constrained));
        labeler.eval();
        return labeler;
    }

    /// <summary>Random token ids avoiding the special ids 0–4.</summary>
    public static long[] RandomIds(Random rng, int count) => Enumerable.Range(0, count).Select(_ => (long)rng.Next(5, VocabSize)).ToArray();

    /// <summary>
    /// A random sentence: [CLS]=1, words of 1–3 subwords, [SEP]=2; returns the tokenized input and
    /// first-subword labels (and the word labels).
    /// </summary>
    public static (LabelerInput Input, long[] TokenLabels, int[] WordLabels) RandomSentence(Random rng, int words)
    {
        var ids = new List<long> { 1 };
        var wordIds = new List<int?> { null };
        var tokenLabels = new List<long> { -100 };
        var wordLabels = new int[words];
        for (var w = 0; w < words; w++)
        {
            wordLabels[w] = rng.Next(BioLabels.Length);
            var pieces = rng.Next(1, 4);
            for (var p = 0; p < pieces; p++)
            {
                ids.Add(rng.Next(5, VocabSize));
                wordIds.Add(w);
                tokenLabels.Add(p == 0 ? wordLabels[w] : -100);
            }
        }
        ids.Add(2);
        wordIds.Add(null);
        tokenLabels.Add(-100);
        return (new LabelerInput(ids, wordIds, words), tokenLabels.ToArray(), wordLabels);
    }

    public static IEnumerable<(TokenHeadKind Head, bool Crf)> AllHeads()
    {
        foreach (var head in Enum.GetValues<TokenHeadKind>())
            foreach (var crf in new[] { false, true })
                yield return (head, crf);
    }

    public static TheoryData<TokenHeadKind, bool> AllHeadsData()
    {
        var data = new TheoryData<TokenHeadKind, bool>();
        foreach (var (head, crf) in AllHeads()) data.Add(head, crf);
        return data;
    }

    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using var diff = (a - b).abs().max();
        return diff.item<float>();
    }
}
