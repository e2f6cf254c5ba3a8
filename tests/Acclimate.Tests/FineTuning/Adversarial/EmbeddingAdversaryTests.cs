using Acclimate.FineTuning;
using Acclimate.FineTuning.Adversarial;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Tests.Training;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning.Adversarial;

[Collection(TorchGlobalStateCollection.Name)]
public sealed class EmbeddingAdversaryTests
{
    private static (SequenceLabeler Labeler, TaggingBatch Batch) Setup(int seed = 3)
    {
        var labeler = TinyLabelers.Create(TokenHeadKind.Linear, crf: false, seed: seed);
        var rng = new Random(seed);
        var examples = Enumerable.Range(0, 3).Select(i =>
        {
            var (input, labels, _) = TinyLabelers.RandomSentence(rng, 3 + i);
            return new LabelerExample(input, labels);
        }).ToArray();
        return (labeler, TaggingBatch.Collate(examples, 0));
    }

    private static Tensor Weight(SequenceLabeler labeler) => EmbeddingAdversary.WordEmbeddings(labeler, labeler.BackboneName);

    private static Tensor Clone(Tensor t) { using var _ = no_grad(); return t.detach().clone(); }

    [Theory]
    [InlineData(AdversarialMethod.Fgm, 0)]
    [InlineData(AdversarialMethod.Pgd, 3)]
    public void The_embeddings_are_restored_bit_for_bit_and_the_adversarial_pass_adds_gradient(AdversarialMethod method, int steps)
    {
        var (labeler, batch) = Setup();
        using var _ = labeler;
        const double epsilon = 0.5;
        var options = new AdversarialOptions { Method = method, Epsilon = epsilon, Steps = steps, Alpha = 0.3 };
        var before = Clone(Weight(labeler));

        // The clean gradient alone, for comparison.
        WeightedTaggingLoss.Compute(labeler, batch).backward();
        var clean = Clone(Weight(labeler).grad!);
        var cleanHead = labeler.named_parameters().First(p => p.name.StartsWith("head.", StringComparison.Ordinal));
        var cleanHeadGrad = Clone(cleanHead.parameter.grad!);
        foreach (var (_, p) in labeler.named_parameters()) p.grad = null;

        var distances = new List<double>();
        var adversary = new EmbeddingAdversary(() => Weight(labeler), options);
        var adversarial = adversary.Backward(WeightedTaggingLoss.Compute(labeler, batch), 1.0, batch.Batch.InputIds, () =>
        {
            // Called with the perturbation in place: record its size.
            using (no_grad()) distances.Add((Weight(labeler) - before).norm().item<float>());
            return WeightedTaggingLoss.Compute(labeler, batch);
        });

        Assert.NotNull(adversarial);
        Assert.True(TensorAssert.BitEqual(before, Weight(labeler).detach()), "the word embeddings were not restored bit for bit");
        Assert.Equal(method == AdversarialMethod.Fgm ? 1 : steps, distances.Count);
        if (method == AdversarialMethod.Fgm) Assert.Equal(epsilon, distances[0], 3);
        else
        {
            Assert.All(distances, d => Assert.True(d <= epsilon + 1e-4, $"PGD left the ε-ball: {d}"));
            Assert.Equal(0.3, distances[0], 3);   // the first step is α·g/‖g‖
            Assert.True(distances[^1] > distances[0]);
        }
        // The perturbed loss is higher (it moved up the gradient), and its gradient was added.
        using (no_grad()) Assert.True(adversarial!.item<float>() > 0);
        Assert.False(TensorAssert.BitEqual(clean, Weight(labeler).grad!), "the adversarial pass added no gradient to the embeddings");
        Assert.False(TensorAssert.BitEqual(cleanHeadGrad, cleanHead.parameter.grad!), "the adversarial pass added no gradient to the head");
        // Every other row of the matrix is untouched by the perturbation (it only moves the batch's rows).
        Assert.True(TensorAssert.BitEqual(before, Weight(labeler).detach()));
    }

    [Fact]
    public void Fgm_follows_this_micro_batchs_gradient_not_what_earlier_micro_batches_accumulated()
    {
        var (labeler, batch) = Setup(seed: 5);
        using var _ = labeler;
        var before = Clone(Weight(labeler));
        WeightedTaggingLoss.Compute(labeler, batch).backward();
        var g = Clone(Weight(labeler).grad!);
        foreach (var (_, p) in labeler.named_parameters()) p.grad = null;
        manual_seed(1);   // no dropout in eval mode; the seed only pins anything else

        // An earlier micro-batch's gradient, large and pointing elsewhere, sits in .grad already.
        using (no_grad()) Weight(labeler).grad = full_like(before, 5f);
        Tensor? seen = null;
        var adversary = new EmbeddingAdversary(() => Weight(labeler), new AdversarialOptions { Method = AdversarialMethod.Fgm, Epsilon = 1.0 });
        adversary.Backward(WeightedTaggingLoss.Compute(labeler, batch), 1.0, batch.Batch.InputIds, () =>
        {
            seen = Clone(Weight(labeler) - before).DetachFromDisposeScope();   // the adversary runs this inside its dispose scope
            return WeightedTaggingLoss.Compute(labeler, batch);
        });
        using var expected = g / g.norm();
        Assert.True(seen!.allclose(expected, rtol: 1e-3, atol: 1e-4), $"max difference {(seen - expected).abs().max().item<float>()}");
    }
}
