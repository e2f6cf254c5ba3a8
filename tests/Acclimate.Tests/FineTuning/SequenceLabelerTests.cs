using Acclimate.FineTuning;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

public sealed class SequenceLabelerTests
{
    public SequenceLabelerTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<TokenHeadKind, bool> Heads => TinyLabelers.AllHeadsData();

    [Fact]
    public void WordPositionsGatherFirstSubwordsInOrder()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(4);
        var starts = new bool[5, 9];
        for (var r = 0; r < 5; r++)
            for (var c = 0; c < 9; c++) starts[r, c] = r != 2 && rng.NextDouble() < 0.5;   // row 2 has no word
        using var words = WordPositions.FromWordStarts(tensor(starts));
        var values = arange(5 * 9 * 2).reshape(5, 9, 2);
        var gathered = words.Gather(values);
        var expectedWidth = Enumerable.Range(0, 5).Max(r => Enumerable.Range(0, 9).Count(c => starts[r, c]));
        Assert.Equal(new long[] { 5, expectedWidth, 2 }, gathered.shape);
        for (var r = 0; r < 5; r++)
        {
            var positions = Enumerable.Range(0, 9).Where(c => starts[r, c]).ToArray();
            for (var w = 0; w < expectedWidth; w++)
            {
                Assert.Equal(w < positions.Length, words.Mask[r, w].item<bool>());
                if (w < positions.Length)
                {
                    Assert.Equal(positions[w], words.TokenIndex[r, w].item<long>());
                    Assert.Equal(values[r, positions[w], 1].item<long>(), gathered[r, w, 1].item<long>());
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void LossIsCrossEntropyOverLabelledTokensOrCrfOverFirstSubwords(TokenHeadKind kind, bool crf)
    {
        using var labeler = TinyLabelers.Create(kind, crf);
        using var scope = NewDisposeScope();
        var rng = new Random(2);
        var sentences = new[] { 3, 1, 4 }.Select(n => TinyLabelers.RandomSentence(rng, n)).ToArray();
        var batch = labeler.Collate(sentences.Select(s => s.Input).ToArray());
        var labels = full(batch.InputIds.shape, -100L, dtype: ScalarType.Int64);
        for (var r = 0; r < sentences.Length; r++)
            for (var t = 0; t < sentences[r].TokenLabels.Length; t++) labels[r, t] = tensor(sentences[r].TokenLabels[t]);

        var output = labeler.Run(batch with { Labels = labels });
        var emissions = output.TokenEmissions;
        double expected;
        if (!crf)
        {
            // Plain C#: mean over labelled tokens of −log softmax at the gold label.
            var total = 0.0;
            var count = 0;
            for (var r = 0; r < sentences.Length; r++)
                for (var t = 0; t < sentences[r].TokenLabels.Length; t++)
                {
                    var gold = sentences[r].TokenLabels[t];
                    if (gold < 0) continue;
                    var row = emissions[r, t].to(ScalarType.Float64).data<double>().ToArray();
                    var max = row.Max();
                    total += max + Math.Log(row.Sum(v => Math.Exp(v - max))) - row[gold];
                    count++;
                }
            expected = total / count;
        }
        else
        {
            // The CRF on the word sequence, built by hand from the first subwords.
            var words = sentences.Max(s => s.WordLabels.Length);
            var wordEmissions = zeros(sentences.Length, words, 5);
            var wordTags = zeros(sentences.Length, words, dtype: ScalarType.Int64);
            var wordMask = zeros(sentences.Length, words, dtype: ScalarType.Bool);
            for (var r = 0; r < sentences.Length; r++)
            {
                var firstTokens = Enumerable.Range(0, sentences[r].TokenLabels.Length).Where(t => sentences[r].TokenLabels[t] >= 0).ToArray();
                for (var w = 0; w < firstTokens.Length; w++)
                {
                    wordEmissions[r, w] = emissions[r, firstTokens[w]];
                    wordTags[r, w] = tensor((long)sentences[r].WordLabels[w]);
                    wordMask[r, w] = tensor(true);
                }
            }
            expected = labeler.Head.Crf!.NegativeLogLikelihood(wordEmissions, wordTags, wordMask).item<float>();
        }
        Assert.Equal(expected, output.Loss!.item<float>(), 4);
        // The HF-style entry point gives the same loss, finding the words from the labels.
        var viaForward = labeler.Forward(new ModelInputs(batch.InputIds, batch.AttentionMask) { Labels = labels });
        Assert.Equal(output.Loss!.item<float>(), viaForward.Loss!.item<float>(), 5);
        Assert.Equal(new[] { batch.InputIds.shape[0], batch.InputIds.shape[1], 5L }, viaForward.Logits.shape);
    }

    /// <summary>
    /// Regression: libtorch's CPU Conv1d, fed the transposed, padded encoder output with two intra-op
    /// threads, returned a non-finite input gradient about once in 200 calls here, which turned
    /// every encoder gradient into NaN within a few steps. The head now convolves by unfold and a
    /// matrix product; this runs many backward passes at two threads and checks every gradient.
    /// </summary>
    [Fact]
    public void CnnHeadGradientsStayFiniteWithTwoThreads()
    {
        var previous = get_num_threads();
        TorchRuntime.SetThreads(2);
        try
        {
            using var labeler = TinyLabelers.Create(TokenHeadKind.Cnn, crf: false, seed: 4);
            var rng = new Random(9);
            for (var step = 0; step < 150; step++)
            {
                using var scope = NewDisposeScope();
                var sentences = Enumerable.Range(0, 4).Select(_ => TinyLabelers.RandomSentence(rng, rng.Next(2, 6))).ToArray();
                var batch = labeler.Collate(sentences.Select(s => s.Input).ToArray());
                var labels = full(batch.InputIds.shape, -100L, dtype: ScalarType.Int64);
                for (var r = 0; r < sentences.Length; r++)
                    for (var t = 0; t < sentences[r].TokenLabels.Length; t++) labels[r, t] = tensor(sentences[r].TokenLabels[t]);
                labeler.zero_grad();
                labeler.Run(batch with { Labels = labels }).Loss!.backward();
                foreach (var (name, p) in labeler.named_parameters())
                    Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>(), $"step {step}: non-finite gradient of {name}");
            }
        }
        finally
        {
            TorchRuntime.SetThreads(previous);
        }
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void TrainingLowersTheLossAndFitsASmallSet(TokenHeadKind kind, bool crf)
    {
        using var labeler = TinyLabelers.Create(kind, crf, seed: 3);
        var rng = new Random(8);
        var sentences = new[] { 4, 2, 5, 3 }.Select(n => TinyLabelers.RandomSentence(rng, n)).ToArray();
        var batch = labeler.Collate(sentences.Select(s => s.Input).ToArray());
        var labels = full(batch.InputIds.shape, -100L, dtype: ScalarType.Int64);
        for (var r = 0; r < sentences.Length; r++)
            for (var t = 0; t < sentences[r].TokenLabels.Length; t++) labels[r, t] = tensor(sentences[r].TokenLabels[t]);
        var labelled = batch with { Labels = labels };
        float Loss() { using var _ = no_grad(); using var s = NewDisposeScope(); return labeler.Run(labelled).Loss!.item<float>(); }

        var before = Loss();
        using var optimizer = optim.Adam(labeler.parameters(), lr: 5e-3);
        for (var step = 0; step < 60; step++)
        {
            using var s = NewDisposeScope();
            optimizer.zero_grad();
            labeler.Run(labelled).Loss!.backward();
            optimizer.step();
        }
        var after = Loss();
        Assert.True(after < before * 0.5, $"{kind}{(crf ? "+crf" : "")}: loss {before} → {after}");
        var predicted = labeler.PredictWords(sentences.Select(s => s.Input).ToArray());
        var correct = predicted.Zip(sentences).Sum(p => p.First.Zip(p.Second.WordLabels).Count(x => x.First == x.Second));
        Assert.True(correct >= 0.9 * sentences.Sum(s => s.WordLabels.Length), $"{kind}{(crf ? "+crf" : "")}: {correct} words right after fitting");
        Assert.True(labeler.training == false);
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void PredictionsComePerWordAndMatchTheBatchedDecode(TokenHeadKind kind, bool crf)
    {
        using var labeler = TinyLabelers.Create(kind, crf, seed: 6);
        var rng = new Random(12);
        var sentences = new[] { 5, 1, 3, 6, 2 }.Select(n => TinyLabelers.RandomSentence(rng, n).Input).ToList();
        // Word 1 produced no token (e.g. a control character): its prediction is null.
        sentences.Add(new LabelerInput(new long[] { 1, 7, 9, 2 }, new int?[] { null, 0, 2, null }, 3));
        var batched = labeler.PredictWords(sentences, batchSize: 4);
        Assert.Equal(sentences.Count, batched.Count);
        for (var i = 0; i < sentences.Count; i++)
        {
            Assert.Equal(sentences[i].WordCount, batched[i].Length);
            // Alone (no padding, another batch composition): the same labels.
            var alone = labeler.PredictWords(new[] { sentences[i] })[0];
            Assert.Equal(alone, batched[i]);
        }
        Assert.Null(batched[^1][1]);
        Assert.NotNull(batched[^1][0]);
        Assert.NotNull(batched[^1][2]);

        if (!crf)
        {
            // Without a CRF a word's label is the argmax at its first subword.
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var input = sentences[3];
            var emissions = labeler.Run(labeler.Collate(new[] { input })).TokenEmissions[0].argmax(-1).data<long>().Select(v => (int)v).ToArray();
            Assert.Equal(SubwordAlignment.ToWords(emissions, input.WordIds, input.WordCount, -1).Select(v => (int?)v), batched[3]);
        }
    }

    [Fact]
    public void ConstrainedCrfPredictionsObeyTheConstraints()
    {
        using var labeler = TinyLabelers.Create(TokenHeadKind.Linear, crf: true, constrained: true, seed: 4);
        using var free = TinyLabelers.Create(TokenHeadKind.Linear, crf: true, constrained: false, seed: 4);
        var bio = ConditionalRandomFieldTests.Bio(2);
        // Push emissions towards I- tags so that an unconstrained decoder breaks BIO.
        using (no_grad())
            foreach (var l in new[] { labeler, free })
            {
                var bias = l.Head.named_parameters().First(p => p.name == "classifier.bias").parameter;
                bias.copy_(tensor(new float[] { 0, 0, 1.5f, 0, 1.5f }));
                l.Head.named_parameters().First(p => p.name == "classifier.weight").parameter.mul_(30);
            }
        var rng = new Random(3);
        var sentences = Enumerable.Range(0, 40).Select(_ => TinyLabelers.RandomSentence(rng, rng.Next(1, 5)).Input).ToArray();
        var constrained = labeler.PredictWords(sentences);
        var unconstrained = free.PredictWords(sentences);
        Assert.All(constrained, words => Assert.True(bio.IsAllowed(words.Select(w => w!.Value).ToArray())));
        Assert.Contains(unconstrained, words => !bio.IsAllowed(words.Select(w => w!.Value).ToArray()));
    }

    [Fact]
    public void CrfTrainingWithConstraintsRejectsIllFormedGoldTags()
    {
        using var labeler = TinyLabelers.Create(TokenHeadKind.Linear, crf: true, constrained: true);
        using var scope = NewDisposeScope();
        var input = new LabelerInput(new long[] { 1, 7, 8, 2 }, new int?[] { null, 0, 1, null }, 2);
        var batch = labeler.Collate(new[] { input });
        var labels = tensor(new long[,] { { -100, 0, 2, -100 } });   // O then I-A: not BIO
        var error = Assert.Throws<Acclimate.Errors.DataException>(() => labeler.Run(batch with { Labels = labels }));
        Assert.Contains("position 1", error.Message);
        var good = tensor(new long[,] { { -100, 1, 2, -100 } });
        Assert.True(float.IsFinite(labeler.Run(batch with { Labels = good }).Loss!.item<float>()));
    }

    [Fact]
    public void AllSubwordLabelsTrainTokensButTheCrfStillStepsOverWords()
    {
        using var labeler = TinyLabelers.Create(TokenHeadKind.Linear, crf: true, constrained: true);
        using var scope = NewDisposeScope();
        // One word of three subwords labelled B-A (continuations I-A), then an O word.
        var input = new LabelerInput(new long[] { 1, 7, 8, 9, 10, 2 }, new int?[] { null, 0, 0, 0, 1, null }, 2);
        var tokenLabels = SubwordAlignment.AlignLabels(new[] { "B-A", "O" }, input.WordIds, TinyLabelers.BioLabels, LabelAlignment.AllSubwords);
        Assert.Equal(new long[] { -100, 1, 2, 2, 0, -100 }, tokenLabels);
        var batch = labeler.Collate(new[] { input }) with { Labels = tensor(tokenLabels).unsqueeze(0) };
        var output = labeler.Run(batch);
        Assert.Equal(new long[] { 1, 2 }, output.Words!.Mask.shape);
        var emissions = output.TokenEmissions;
        var wordEmissions = stack(new[] { emissions[0, 1], emissions[0, 4] }).unsqueeze(0);
        var expected = labeler.Head.Crf!.NegativeLogLikelihood(wordEmissions, tensor(new long[,] { { 1, 0 } }), ones(1, 2, dtype: ScalarType.Bool));
        Assert.Equal(expected.item<float>(), output.Loss!.item<float>(), 5);
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void ABatchWithoutAnyLabelledWordHasAZeroLossThatStillBackpropagates(TokenHeadKind kind, bool crf)
    {
        using var labeler = TinyLabelers.Create(kind, crf);
        using var scope = NewDisposeScope();
        var empty = new LabelerInput(new long[] { 1, 2 }, new int?[] { null, null }, 0);
        var batch = labeler.Collate(new[] { empty, empty });
        var loss = labeler.Run(batch with { Labels = full(batch.InputIds.shape, -100L, dtype: ScalarType.Int64) }).Loss!;
        Assert.Equal(0f, loss.item<float>());
        loss.backward();
        Assert.Equal(new[] { Array.Empty<int?>(), Array.Empty<int?>() }, labeler.PredictWords(new[] { empty, empty }));
        if (crf)
        {
            using var constrained = TinyLabelers.Create(kind, crf, constrained: true);
            var constrainedLoss = constrained.Run(batch with { Labels = full(batch.InputIds.shape, -100L, dtype: ScalarType.Int64) }).Loss!;
            Assert.Equal(0f, constrainedLoss.item<float>());
            constrainedLoss.backward();
        }
    }

    [Theory]
    [InlineData(ModelType.Roberta)]
    [InlineData(ModelType.Albert)]
    [InlineData(ModelType.Electra)]
    public void OtherArchitecturesCarryTheHeadToo(ModelType type)
    {
        using var labeler = TinyLabelers.Create(TokenHeadKind.BiLstm, crf: true, LayerFusion.ScalarMix, 2, type: type);
        var rng = new Random(1);
        var input = TinyLabelers.RandomSentence(rng, 3).Input;
        var predicted = labeler.PredictWords(new[] { input })[0];
        Assert.Equal(3, predicted.Length);
        Assert.All(predicted, p => Assert.InRange(p!.Value, 0, 4));
        Assert.StartsWith(type.ToString().ToLowerInvariant() + ".", labeler.state_dict().Keys.First(k => !k.StartsWith("head.", StringComparison.Ordinal)));
    }
}
