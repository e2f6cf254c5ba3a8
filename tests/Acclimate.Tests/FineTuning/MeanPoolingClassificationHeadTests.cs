using Acclimate.FineTuning;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

public sealed class MeanPoolingClassificationHeadTests
{
    public MeanPoolingClassificationHeadTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void PoolsTheMeanOfRealTokensOnly()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var hidden = randn(3, 5, 4);
        var mask = tensor(new long[,] { { 1, 1, 1, 1, 1 }, { 1, 1, 0, 0, 0 }, { 0, 0, 0, 0, 0 } });
        var dirty = hidden.clone();
        dirty[1, TensorIndex.Slice(2)] = tensor(float.NaN);
        var pooled = MeanPoolingClassificationHead.MeanPool(dirty, mask);
        Assert.True(pooled[0].allclose(hidden[0].mean(new long[] { 0 })));
        Assert.True(pooled[1].allclose(hidden[1, TensorIndex.Slice(0, 2)].mean(new long[] { 0 })));
        Assert.Equal(0f, pooled[2].abs().sum().item<float>());
    }

    [Fact]
    public void LogitsIgnorePaddingAndTrain()
    {
        manual_seed(4);
        using var head = new MeanPoolingClassificationHead(hiddenSize: 4, numLabels: 3, dropout: 0.0);
        using var scope = NewDisposeScope();
        var hidden = randn(2, 6, 4);
        var mask = tensor(new long[,] { { 1, 1, 1, 1, 0, 0 }, { 1, 1, 1, 1, 1, 1 } });
        var shortOnly = head.Forward(hidden[TensorIndex.Slice(0, 1), TensorIndex.Slice(0, 4)], ones(1, 4, dtype: ScalarType.Int64));
        var batched = head.Forward(hidden, mask);
        Assert.True(batched[0].allclose(shortOnly[0], rtol: 1e-5, atol: 1e-6));
        Assert.Equal(new[] { "classifier.bias", "classifier.weight" }, head.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal));

        using var optimizer = optim.Adam(head.parameters(), lr: 0.05);
        var labels = tensor(new long[] { 2, 0 });
        float Loss() { using var _ = no_grad(); return nn.functional.cross_entropy(head.Forward(hidden, mask), labels).item<float>(); }
        var before = Loss();
        for (var i = 0; i < 20; i++)
        {
            using var step = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(head.Forward(hidden, mask), labels).backward();
            optimizer.step();
        }
        Assert.True(Loss() < before * 0.5);
    }
}
