using Acclimate.Adaptation.FeatureAlignment;
using Acclimate.Adaptation.Selection;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;
using Acclimate.Runtime;
using Acclimate.Tests.Training;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Tests.Adaptation;

[Collection(TorchGlobalStateCollection.Name)]
public sealed class DomainAlignmentTests
{
    public DomainAlignmentTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void The_ganin_schedule_rises_from_zero_to_lambda()
    {
        Assert.Equal(0.0, DannLambda.At(DannSchedule.Ganin, 0.7, 0.0), 12);
        Assert.Equal(0.7 * (2 / (1 + Math.Exp(-5)) - 1), DannLambda.At(DannSchedule.Ganin, 0.7, 0.5), 12);
        Assert.Equal(0.7 * (2 / (1 + Math.Exp(-10)) - 1), DannLambda.At(DannSchedule.Ganin, 0.7, 1.0), 12);   // 0.69994: λ reached up to 1e-4
        Assert.Equal(DannLambda.At(DannSchedule.Ganin, 0.7, 1.0), DannLambda.At(DannSchedule.Ganin, 0.7, 1.5));      // progress is clamped
        Assert.True(DannLambda.At(DannSchedule.Ganin, 1, 0.1) < DannLambda.At(DannSchedule.Ganin, 1, 0.2));
        Assert.Equal(0.7, DannLambda.At(DannSchedule.Constant, 0.7, 0.0));
    }

    [Fact]
    public void The_domain_loss_trains_the_classifier_to_separate_and_the_features_to_confuse_it()
    {
        manual_seed(4);
        var options = new AdaptationOptions { TargetText = "x", Dann = new DannOptions { Weight = 1, Lambda = 0.5, Schedule = DannSchedule.Constant, Hidden = 8 } };
        using var alignment = new DomainAlignment(options, 4, CPU);
        using var parts = new LossPartsLog();
        using var source = randn(6, 4).requires_grad_(true);
        using var target = (randn(6, 4) + 1).requires_grad_(true);
        using var loss = alignment.Loss(source, target, progress: 1.0, parts);
        loss.backward();
        var classifierGrad = alignment.NamedParameters().Select(p => p.Parameter.grad).ToArray();
        Assert.All(classifierGrad, g => Assert.NotNull(g));

        // The same BCE without the reversal layer: its feature gradient is exactly −1/λ times the reversed one.
        using var plainSource = source.detach().clone().requires_grad_(true);
        using var plainTarget = target.detach().clone().requires_grad_(true);
        using var logits = alignment.Classifier!.Forward(cat(new[] { plainSource, plainTarget }, 0));
        using var domains = cat(new[] { zeros(6), ones(6) }, 0);
        using var plain = nn.functional.binary_cross_entropy_with_logits(logits, domains);
        plain.backward();
        Assert.True(source.grad!.allclose(plainSource.grad! * -0.5, rtol: 1e-5, atol: 1e-7));
        Assert.True(target.grad!.allclose(plainTarget.grad! * -0.5, rtol: 1e-5, atol: 1e-7));
        Assert.Equal(plain.item<float>(), loss.item<float>(), 5);
        var logged = parts.Drain();
        Assert.Equal(plain.item<float>(), logged["loss_domain"], 5);
        Assert.DoesNotContain("loss_mmd", logged.Keys);
    }

    [Fact]
    public void Mmd_and_dann_add_their_weighted_terms_and_log_them_unweighted()
    {
        manual_seed(5);
        var options = new AdaptationOptions { TargetText = "x", Mmd = new MmdOptions { Weight = 0.3, Kernel = MmdKernel.Single }, Dann = new DannOptions { Weight = 0.2, Hidden = 4 } };
        using var alignment = new DomainAlignment(options, 3, CPU);
        using var parts = new LossPartsLog();
        using var source = randn(5, 3);
        using var target = randn(7, 3) + 2;
        using var total = alignment.Loss(source, target, 0.5, parts);
        var logged = parts.Drain();
        using var mmd = MmdLoss.Compute(source, target, MmdLoss.SingleKernel);
        Assert.Equal(mmd.item<float>(), logged["loss_mmd"], 5);
        Assert.Equal(0.3 * logged["loss_mmd"] + 0.2 * logged["loss_domain"], total.item<float>(), 5);
    }

    [Fact]
    public void Domain_classifier_weights_prefer_target_like_pool_sentences()
    {
        // Target: a cluster around +2 on the first axis. Pool: half near the target, half around −2.
        var random = new Random(7);
        float[] Point(double centre) => Enumerable.Range(0, 6).Select(d => (float)((d == 0 ? centre : 0) + (random.NextDouble() - 0.5))).ToArray();
        var target = Enumerable.Range(0, 40).Select(_ => Point(2)).ToArray();
        var pool = Enumerable.Range(0, 60).Select(i => Point(i % 2 == 0 ? 2 : -2)).ToArray();
        var weights = DomainClassifierWeights.Compute(target, pool, folds: 3, seed: 1);
        Assert.Equal(60, weights.Length);
        var near = weights.Where((_, i) => i % 2 == 0).ToArray();
        var far = weights.Where((_, i) => i % 2 == 1).ToArray();
        Assert.True(near.Min() > far.Max(), $"near min {near.Min()}, far max {far.Max()}");
        Assert.True(near.Average() > 1 && far.Average() < 0.5, $"near {near.Average()}, far {far.Average()}");
        Assert.All(weights, w => Assert.True(double.IsFinite(w) && w >= 0));
        // The density ratio on the target-like half is about p_target / p_pool = 1 / 0.5 = 2.
        Assert.InRange(near.Average(), 1.2, 4);
    }
}
