using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

/// <summary>Sliding windows through a real (tiny) labeler: the encoder's output depends on context, so windows matter.</summary>
public sealed class SlidingWindowLabelerTests
{
    private static readonly long[] Cls = { 1 };
    private static readonly long[] Sep = { 2 };

    public SlidingWindowLabelerTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<TokenHeadKind, bool> Heads => TinyLabelers.AllHeadsData();

    [Theory]
    [MemberData(nameof(Heads))]
    public void ASequenceThreeTimesTheMaximumGetsOnePredictionPerToken(TokenHeadKind kind, bool crf)
    {
        using var labeler = TinyLabelers.Create(kind, crf, seed: 2);
        var max = labeler.Encoder.MaxSequenceLength;
        var content = ContentOf(new Random(5), 3 * max);
        Assert.Throws<DataException>(() => labeler.PredictWords(new[] { WithSpecials(content) }));

        using var scope = NewDisposeScope();
        var emissions = labeler.TokenEmissionsLong(content.InputIds, Cls, Sep, stride: 5);
        Assert.Equal(new long[] { 3 * max, 5 }, emissions.shape);
        var words = labeler.PredictWordsLong(content, Cls, Sep, stride: 5);
        Assert.Equal(content.WordCount, words.Length);
        Assert.All(words, w => Assert.InRange(w!.Value, 0, 4));
        if (!crf)
        {
            // Without a CRF each word's label is the argmax of its first subword's merged scores.
            var argmax = emissions.argmax(-1).data<long>().Select(v => (int?)v).ToArray();
            Assert.Equal(SubwordAlignment.ToWords(argmax, content.WordIds, content.WordCount, null), words);
        }
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void PerTokenScoresEqualThoseOfTheChosenWindow(TokenHeadKind kind, bool crf)
    {
        using var labeler = TinyLabelers.Create(kind, crf, seed: 3);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var content = ContentOf(new Random(6), 37);
        const int stride = 4;
        var merged = labeler.TokenEmissionsLong(content.InputIds, Cls, Sep, stride);
        var plan = SlidingWindowPlan.ForModel(37, labeler.Encoder.MaxSequenceLength, 2, stride);
        Assert.True(plan.Windows.Count >= 4);
        var distinctOwners = 0;
        for (var w = 0; w < plan.Windows.Count; w++)
        {
            // The window run on its own, exactly as a caller would run it.
            var ids = plan.InputIds(w, content.InputIds, Cls, Sep);
            var alone = labeler.Run(new SequenceLabelerBatch(tensor(ids).unsqueeze(0), ones(1, ids.Length, dtype: ScalarType.Int64))).TokenEmissions[0];
            var window = plan.Windows[w];
            var owned = Enumerable.Range(window.Start, window.Length).Where(p => plan.Owner[p] == w).ToArray();
            if (owned.Length > 0) distinctOwners++;
            foreach (var p in owned)
                Assert.True(TinyLabelers.MaxAbsDiff(merged[p], alone[1 + p - window.Start]) < 1e-5, $"token {p} differs from window {w}");
        }
        Assert.Equal(plan.Windows.Count, distinctOwners);
        // Context matters: a token's scores in a window where it sits at the edge are different.
        var firstOfSecond = plan.Windows[1].Start;
        var edgeIds = plan.InputIds(1, content.InputIds, Cls, Sep);
        var edge = labeler.Run(new SequenceLabelerBatch(tensor(edgeIds).unsqueeze(0), ones(1, edgeIds.Length, dtype: ScalarType.Int64))).TokenEmissions[0, 1];
        Assert.NotEqual(1, plan.Owner[firstOfSecond]);
        Assert.True(TinyLabelers.MaxAbsDiff(merged[firstOfSecond], edge) > 1e-6);
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void ASequenceThatFitsEqualsTheSinglePass(TokenHeadKind kind, bool crf)
    {
        using var labeler = TinyLabelers.Create(kind, crf, seed: 4);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var content = ContentOf(new Random(7), labeler.Encoder.MaxSequenceLength - 2);
        var full = WithSpecials(content);
        var single = labeler.Run(labeler.Collate(new[] { full })).TokenEmissions[0];
        var merged = labeler.TokenEmissionsLong(content.InputIds, Cls, Sep, stride: 3);
        Assert.True(TensorAssert.BitEqual(single.narrow(0, 1, content.InputIds.Count), merged));
        Assert.Equal(labeler.PredictWords(new[] { full })[0], labeler.PredictWordsLong(content, Cls, Sep, stride: 3));
    }

    [Fact]
    public void WindowsBatchWithoutChangingResults()
    {
        using var labeler = TinyLabelers.Create(TokenHeadKind.BiLstm, crf: true, seed: 8);
        using var scope = NewDisposeScope();
        var content = ContentOf(new Random(9), 50);
        var one = labeler.TokenEmissionsLong(content.InputIds, Cls, Sep, stride: 6, batchSize: 1);
        var many = labeler.TokenEmissionsLong(content.InputIds, Cls, Sep, stride: 6, batchSize: 16);
        Assert.True(TinyLabelers.MaxAbsDiff(one, many) < 1e-5);
        // Shorter windows than the model's maximum are allowed; longer are not.
        Assert.Equal(new long[] { 50, 5 }, labeler.TokenEmissionsLong(content.InputIds, Cls, Sep, stride: 2, maxLength: 8).shape);
        Assert.Throws<ConfigException>(() => labeler.TokenEmissionsLong(content.InputIds, Cls, Sep, stride: 2, maxLength: 99));
    }

    /// <summary>Content tokens only (no specials): words of 1–3 subwords until <paramref name="tokens"/> tokens.</summary>
    private static LabelerInput ContentOf(Random rng, int tokens)
    {
        var ids = TinyLabelers.RandomIds(rng, tokens);
        var wordIds = new int?[tokens];
        var word = -1;
        var left = 0;
        for (var t = 0; t < tokens; t++)
        {
            if (left == 0) { word++; left = rng.Next(1, 4); }
            wordIds[t] = word;
            left--;
        }
        return new LabelerInput(ids, wordIds, word + 1);
    }

    private static LabelerInput WithSpecials(LabelerInput content) =>
        new(Cls.Concat(content.InputIds).Concat(Sep).ToArray(), new int?[] { null }.Concat(content.WordIds).Append(null).ToArray(), content.WordCount);
}
