using Acclimate.Adaptation.FeatureAlignment;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Adaptation;

public sealed class FeatureAlignmentTests
{
    public FeatureAlignmentTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void GradientReversalIsTheIdentityForwardAndFlipsTheGradient()
    {
        manual_seed(1);
        using var x = randn(4, 3).requires_grad_(true);
        using var weights = randn(4, 3);
        using var plain = (x * weights).sum();
        plain.backward();
        using var forward = x.grad!.clone();
        x.grad.zero_();

        using var reversed = GradientReversal.Apply(x, lambda: 0.3);
        Assert.True(TensorAssert.BitEqual(x.detach(), reversed.detach()));
        using var loss = (reversed * weights).sum();
        loss.backward();
        using var expected = forward * -0.3;
        Assert.True(x.grad!.allclose(expected, rtol: 1e-6, atol: 1e-7));
        Assert.True((x.grad * forward).le(0).all().item<bool>());   // the opposite direction, everywhere
    }

    [Fact]
    public void MmdIsZeroForIdenticalBatchesAndGrowsWithAMeanShift()
    {
        manual_seed(2);
        using var source = randn(64, 8);
        using var same = MmdLoss.Compute(source, source.clone());
        Assert.InRange(same.item<float>(), 0f, 1e-5f);

        using var target = randn(64, 8);
        var previous = -1.0;
        foreach (var shift in new[] { 0.0, 0.5, 1.0, 2.0 })
        {
            using var moved = target + shift;
            foreach (var kernels in new[] { MmdLoss.SingleKernel, MmdLoss.MultiKernel })
            {
                using var value = MmdLoss.Compute(source, moved, kernels);
                Assert.True(value.item<float>() >= 0);
            }
            using var multi = MmdLoss.Compute(source, moved);
            Assert.True(multi.item<float>() > previous, $"shift {shift}: {multi.item<float>()} not above {previous}");
            previous = multi.item<float>();
        }
    }

    [Fact]
    public void MmdGradientPullsTheTargetTowardsTheSource()
    {
        manual_seed(3);
        using var source = randn(32, 4);
        using var start = randn(32, 4) + 1.5;
        using var target = start.clone().requires_grad_(true);
        double Value() { using var v = MmdLoss.Compute(source, target); return v.item<float>(); }
        var before = Value();
        for (var step = 0; step < 50; step++)
        {
            target.grad?.zero_();
            using var loss = MmdLoss.Compute(source, target);
            loss.backward();
            using (no_grad()) target.sub_(target.grad! * 20.0);
        }
        Assert.True(Value() < before * 0.5, $"MMD {before} → {Value()}");
    }

    [Fact]
    public void MismatchedWidthsAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => MmdLoss.Compute(zeros(2, 3), zeros(2, 4)));
        Assert.Contains("[2, 3]", e.Message);
    }
}
