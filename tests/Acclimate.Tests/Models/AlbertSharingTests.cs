using Acclimate.Models;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Models;

/// <summary>ALBERT's cross-layer sharing: num_hidden_groups groups serve num_hidden_layers layers in order.</summary>
public sealed class AlbertSharingTests
{
    public AlbertSharingTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void FourLayersInTwoGroupsUseGroupZeroThenGroupOne()
    {
        manual_seed(3);
        var config = EncoderConfig.Create(ModelType.Albert, vocabSize: 30, hiddenSize: 16, numLayers: 4, numHeads: 2,
            intermediateSize: 24, embeddingSize: 8, maxPositions: 16, extra: c => c["num_hidden_groups"] = 2);
        using var model = ModelFactory.Create(config, ModelTask.Base);
        model.eval();
        var keys = model.CheckpointState().Keys.ToList();
        Assert.Contains("encoder.albert_layer_groups.1.albert_layers.0.ffn.weight", keys);
        Assert.DoesNotContain(keys, k => k.Contains("albert_layer_groups.2", StringComparison.Ordinal));

        using var ids = randint(1, 30, new long[] { 2, 6 }, dtype: ScalarType.Int64);
        using var _ = no_grad();
        var before = model.Forward(new ModelInputs(ids)).Encoder.HiddenStates.Select(t => t.clone()).ToArray();
        Assert.Equal(5, before.Length);
        model.CheckpointState()["encoder.albert_layer_groups.1.albert_layers.0.ffn.weight"].add_(0.5);
        var after = model.Forward(new ModelInputs(ids)).Encoder.HiddenStates;
        for (var i = 0; i <= 2; i++) Assert.True(TensorAssert.BitEqual(before[i], after[i]), $"hidden state {i} must not depend on group 1");
        for (var i = 3; i <= 4; i++) Assert.False(TensorAssert.BitEqual(before[i], after[i]), $"hidden state {i} must depend on group 1");
    }
}
