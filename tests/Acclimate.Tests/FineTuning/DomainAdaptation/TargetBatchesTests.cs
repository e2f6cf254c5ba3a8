using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.DomainAdaptation;

namespace Acclimate.Tests.FineTuning.DomainAdaptation;

public sealed class TargetBatchesTests
{
    [Fact]
    public void Batches_cycle_through_every_example_once_per_pass_in_a_seeded_order()
    {
        var examples = Enumerable.Range(0, 10).ToArray();
        var batches = new TargetBatches<int>(examples, batchSize: 4, seed: 3);
        Assert.Equal(3, batches.BatchesPerPass);
        var pass1 = Enumerable.Range(0, 3).SelectMany(_ => batches.Next()).ToArray();
        var pass2 = Enumerable.Range(0, 3).SelectMany(_ => batches.Next()).ToArray();
        Assert.Equal(examples, pass1.Order());
        Assert.Equal(examples, pass2.Order());
        Assert.NotEqual(pass1, pass2);   // a new shuffle each pass
        Assert.NotEqual(examples, pass1);
        // The same seed gives the same stream.
        var again = new TargetBatches<int>(examples, 4, 3);
        Assert.Equal(pass1, Enumerable.Range(0, 3).SelectMany(_ => again.Next()));
    }

    [Fact]
    public void A_restored_position_continues_the_same_stream()
    {
        var examples = Enumerable.Range(0, 7).ToArray();
        var a = new TargetBatches<int>(examples, 3, 1);
        for (var i = 0; i < 4; i++) a.Next();
        var state = a.SaveState();
        var b = new TargetBatches<int>(examples, 3, 1);
        b.RestoreState(state);
        for (var i = 0; i < 5; i++) Assert.Equal(a.Next(), b.Next());
        Assert.Throws<CheckpointException>(() => new TargetBatches<int>(examples, 3, 1).RestoreState(null));
        var other = new TargetBatches<int>(Enumerable.Range(0, 9).ToArray(), 3, 1);
        Assert.Contains("7 target examples", Assert.Throws<CheckpointException>(() => other.RestoreState(state)).Message);
    }
}
