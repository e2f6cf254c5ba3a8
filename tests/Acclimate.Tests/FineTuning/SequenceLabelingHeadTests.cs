using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

public sealed class SequenceLabelingHeadTests
{
    public SequenceLabelingHeadTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<TokenHeadKind, bool> Heads => TinyLabelers.AllHeadsData();

    [Fact]
    public void HeadParametersHaveStableNames()
    {
        using var lstm = TinyLabelers.Create(TokenHeadKind.BiLstm, crf: true, LayerFusion.ScalarMix, fusedLayers: 3);
        Assert.Equal(new[]
        {
            "head.classifier.bias", "head.classifier.weight",
            "head.crf.end_transitions", "head.crf.start_transitions", "head.crf.transitions",
            "head.lstm.bias_hh_l0", "head.lstm.bias_hh_l0_reverse", "head.lstm.bias_ih_l0", "head.lstm.bias_ih_l0_reverse",
            "head.lstm.weight_hh_l0", "head.lstm.weight_hh_l0_reverse", "head.lstm.weight_ih_l0", "head.lstm.weight_ih_l0_reverse",
            "head.scalar_mix.gamma", "head.scalar_mix.weights",
        }, HeadKeys(lstm));
        Assert.Equal(new long[] { 4 * 6, 16 }, lstm.state_dict()["head.lstm.weight_ih_l0"].shape);

        using var cnn = TinyLabelers.Create(TokenHeadKind.Cnn, crf: false, LayerFusion.Concat, fusedLayers: 2);
        Assert.Equal(new[] { "head.classifier.bias", "head.classifier.weight", "head.convs.0.bias", "head.convs.0.weight", "head.convs.1.bias", "head.convs.1.weight" }, HeadKeys(cnn));
        // Concat of two layers doubles the convolution's input channels; two kernels of 5 channels feed the classifier.
        Assert.Equal(new long[] { 5, 32, 2 }, cnn.state_dict()["head.convs.0.weight"].shape);
        Assert.Equal(new long[] { 5, 32, 3 }, cnn.state_dict()["head.convs.1.weight"].shape);
        Assert.Equal(new long[] { 5, 10 }, cnn.state_dict()["head.classifier.weight"].shape);

        using var linear = TinyLabelers.Create(TokenHeadKind.Linear, crf: false);
        Assert.Equal(new[] { "head.classifier.bias", "head.classifier.weight" }, HeadKeys(linear));
        // Everything else is the encoder under its HF name.
        Assert.All(linear.state_dict().Keys.Where(k => !k.StartsWith("head.", StringComparison.Ordinal)), k => Assert.StartsWith("bert.", k));
    }

    [Fact]
    public void CnnHeadEqualsAnExplicitZeroPaddedConvolutionEvenOnADirtyAllocator()
    {
        // Kernel widths 2 and 3 (TinyLabelers' CNN): the even width is the asymmetric "same" case.
        using var labeler = TinyLabelers.Create(TokenHeadKind.Cnn, crf: true);
        using var scope = NewDisposeScope();
        var state = labeler.state_dict();
        for (var round = 0; round < 20; round++)
        {
            // Freed NaN-filled blocks of many sizes: any read of memory the head did not write shows up as NaN.
            for (var j = 0; j < 8; j++) full(new long[] { 64 + 37 * j, 16 + round }, float.NaN).Dispose();
            manual_seed(round);
            var length = 3 + round % 9;
            var hidden = Enumerable.Range(0, 3).Select(_ => randn(2, length, 16)).ToArray();
            var mask = ones(2, length, dtype: ScalarType.Int64);
            var features = labeler.Head.Fuse(hidden);
            var expected = new List<Tensor>();
            for (var c = 0; c < 2; c++)
            {
                var weight = state[$"head.convs.{c}.weight"];   // [channels, features, width]
                var width = (int)weight.shape[2];
                var left = (width - 1) / 2;
                // Windows of the zero-padded sequence, then a plain sum of products: no convolution kernel involved.
                var padded = cat(new[] { zeros(2, left, 16), features, zeros(2, width - 1 - left, 16) }, 1);
                var windows = padded.unfold(1, width, 1);   // [B, L, features, width]
                expected.Add(nn.functional.relu(einsum("blfw,cfw->blc", windows, weight) + state[$"head.convs.{c}.bias"]));
            }
            var reference = nn.functional.linear(cat(expected.ToArray(), 2), state["head.classifier.weight"], state["head.classifier.bias"]);
            var emissions = labeler.Head.Emissions(hidden, mask);
            Assert.True(emissions.isfinite().all().item<bool>(), $"round {round}: non-finite CNN emissions");
            var diff = TinyLabelers.MaxAbsDiff(emissions, reference);
            Assert.True(diff < 1e-5, $"round {round} (length {length}): CNN emissions differ from the explicit-padding reference by {diff}");
        }
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void PaddedPositionsDoNotChangeTheOutputsOfRealTokens(TokenHeadKind kind, bool crf)
    {
        using var labeler = TinyLabelers.Create(kind, crf);
        using var scope = NewDisposeScope();
        manual_seed(9);
        var lengths = new long[] { 7, 3, 5 };
        const int width = 10;
        var mask = arange(width).unsqueeze(0).lt(tensor(lengths).unsqueeze(1)).to(ScalarType.Int64);
        // Hidden states with huge garbage in the padding: anything leaking would show.
        var hidden = Enumerable.Range(0, 3).Select(_ => randn(3, width, 16).masked_fill(mask.eq(0).unsqueeze(2), 1e4)).ToArray();
        var batched = labeler.Head.Emissions(hidden, mask);
        for (var r = 0; r < lengths.Length; r++)
        {
            var n = lengths[r];
            var alone = labeler.Head.Emissions(hidden.Select(h => h[TensorIndex.Slice(r, r + 1), TensorIndex.Slice(0, n)]).ToArray(), ones(1, n, dtype: ScalarType.Int64));
            var diff = TinyLabelers.MaxAbsDiff(batched[TensorIndex.Slice(r, r + 1), TensorIndex.Slice(0, n)], alone);
            Assert.True(diff < 1e-5, $"{kind}: row {r} differs by {diff} when padded");
        }
    }

    [Fact]
    public void BiLstmReadsBothDirections()
    {
        // Changing a later token must change an earlier token's output (backward direction) and vice versa.
        using var labeler = TinyLabelers.Create(TokenHeadKind.BiLstm, crf: false);
        using var scope = NewDisposeScope();
        manual_seed(3);
        var hidden = randn(1, 6, 16);
        var changed = hidden.clone();
        changed[0, 5] = randn(16);
        var mask = ones(1, 6, dtype: ScalarType.Int64);
        var a = labeler.Head.Emissions(new[] { hidden, hidden, hidden }, mask);
        var b = labeler.Head.Emissions(new[] { changed, changed, changed }, mask);
        Assert.True(TinyLabelers.MaxAbsDiff(a[0, 0], b[0, 0]) > 1e-6);
    }

    [Fact]
    public void FusionModesCombineTheLastLayers()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var hidden = Enumerable.Range(0, 3).Select(_ => randn(2, 4, 16)).ToArray();
        using (var mean = TinyLabelers.Create(TokenHeadKind.Linear, false, LayerFusion.Mean, 2))
            Assert.True(mean.Head.Fuse(hidden).allclose((hidden[1] + hidden[2]) / 2, atol: 1e-6));
        using (var concat = TinyLabelers.Create(TokenHeadKind.Linear, false, LayerFusion.Concat, 3))
            Assert.True(TensorAssert.BitEqual(concat.Head.Fuse(hidden), cat(hidden, -1)));
        using (var last = TinyLabelers.Create(TokenHeadKind.Linear, false))
            Assert.True(TensorAssert.BitEqual(last.Head.Fuse(hidden), hidden[2]));
        using var mix = TinyLabelers.Create(TokenHeadKind.Linear, false, LayerFusion.ScalarMix, 3);
        // A fresh mix is the plain mean; then weights and gamma act as softmax(w)·layers·gamma.
        Assert.True(mix.Head.Fuse(hidden).allclose((hidden[0] + hidden[1] + hidden[2]) / 3, atol: 1e-6));
        var parameters = mix.Head.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            parameters["scalar_mix.weights"].copy_(tensor(new float[] { 0.5f, -1f, 2f }));
            parameters["scalar_mix.gamma"].fill_(1.5);
        }
        var w = softmax(tensor(new float[] { 0.5f, -1f, 2f }), 0);
        var expected = (hidden[0] * w[0] + hidden[1] * w[1] + hidden[2] * w[2]) * 1.5f;
        Assert.True(mix.Head.Fuse(hidden).allclose(expected, atol: 1e-5));
        Assert.True(mix.Head.Mix!.NormalizedWeights().sum().item<float>() is > 0.9999f and < 1.0001f);
        // The mix is learned: the loss reaches its weights.
        mix.Head.Fuse(hidden).pow(2).sum().backward();
        Assert.True(parameters["scalar_mix.weights"].grad!.abs().sum().item<float>() > 0);
        Assert.True(parameters["scalar_mix.gamma"].grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void InvalidOptionsAreConfigErrors()
    {
        var config = TinyLabelers.Config();
        SequenceLabelerOptions With(Func<SequenceLabelerOptions, SequenceLabelerOptions> change) => change(TinyLabelers.Options(TokenHeadKind.Linear, false));
        foreach (var bad in new[]
        {
            With(o => o with { FusedLayers = 4, Fusion = LayerFusion.Mean }),   // 2 layers + embeddings = 3 hidden states
            With(o => o with { FusedLayers = 2 }),                               // 'last' with k = 2
            With(o => o with { Labels = new[] { "O", "O" } }),
            With(o => o with { CrfConstraints = ConditionalRandomFieldTests.Bio(2) }),   // constraints without CRF
            With(o => o with { UseCrf = true, CrfConstraints = ConditionalRandomFieldTests.Bio(1) }),
            With(o => o with { Head = TokenHeadKind.Cnn, CnnKernelSizes = Array.Empty<int>() }),
            With(o => o with { Dropout = 1.0 }),
        })
            Assert.Throws<ConfigException>(() => new SequenceLabeler(config, bad).Dispose());
    }

    private static string[] HeadKeys(SequenceLabeler labeler) =>
        labeler.state_dict().Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToArray();
}
