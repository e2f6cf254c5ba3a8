using System.Text.Json.Nodes;
using Acclimate.Continual;
using Acclimate.Pretraining;
using Acclimate.Pretraining.Forgetting;
using Acclimate.Runtime;
using Acclimate.Tests.Continual;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Tests.Pretraining.Forgetting;

/// <summary>
/// The forgetting controls built from the <c>forgetting:</c> section: which controls, in which
/// order, what they ask of the batch source, and what each adds to a micro-batch's loss.
/// </summary>
public sealed class ForgettingControlsTests
{
    public ForgettingControlsTests() => TorchRuntime.EnsureInitialized();

    private static PretrainingForgettingOptions Bind(string body) =>
        Recipe.Parse("forgetting:\n" + body, "r.yaml").Section<PretrainingForgettingOptions>("forgetting");

    [Fact]
    public void TheDefaultsTurnNothingOn()
    {
        using var controls = ForgettingControls.From(new PretrainingForgettingOptions(), "no-such-fisher.safetensors");
        Assert.Empty(controls.Controls);
        Assert.False(controls.NeedsGeneralTrain);
        Assert.Null(controls.Mix);
        Assert.False(controls.PairsGeneralBatch);
    }

    [Fact]
    public void EachKeyTurnsOnItsControlInLossOrder()
    {
        using var all = ForgettingControls.From(Bind("  rehearsal_share: 0.25\n  l2sp: 0.1\n  ewc: 5\n"), "no-such-fisher.safetensors");
        Assert.Equal(new[] { typeof(MixedRehearsalControl), typeof(L2SpControl), typeof(EwcControl) }, all.Controls.Select(c => c.GetType()));
        Assert.Equal((3, 1), (all.Mix!.DomainPerPeriod, all.Mix.GeneralPerPeriod));
        Assert.False(all.PairsGeneralBatch);
        Assert.True(all.NeedsGeneralTrain);
        Assert.Equal("rehearsal and EWC, whose Fisher file no-such-fisher.safetensors does not exist yet", all.GeneralTrainPurpose);

        using var weighted = ForgettingControls.From(Bind("  rehearsal_weight: 0.5\n"), "no-such-fisher.safetensors");
        Assert.IsType<WeightedRehearsalControl>(Assert.Single(weighted.Controls));
        Assert.True(weighted.PairsGeneralBatch);
        Assert.Null(weighted.Mix);

        using var l2sp = ForgettingControls.From(Bind("  l2sp: 0.1\n"), "no-such-fisher.safetensors");
        Assert.False(l2sp.NeedsGeneralTrain);
    }

    [Fact]
    public void EwcNeedsGeneralTextOnlyUntilItsFisherFileExists()
    {
        using var folder = TestPaths.NewTempFolder();
        var path = Path.Combine(folder.Path, "fisher.safetensors");
        var section = Bind("  ewc: 5\n");
        using (var before = ForgettingControls.From(section, path)) Assert.True(before.NeedsGeneralTrain);
        using (var fisher = UnitFisher()) fisher.Save(path);
        using var after = ForgettingControls.From(section, path);
        Assert.False(after.NeedsGeneralTrain);
    }

    [Fact]
    public void PenaltiesAddTheirTermsToTheLossAnchoredWhereTheyWerePrepared()
    {
        using var folder = TestPaths.NewTempFolder();
        var path = Path.Combine(folder.Path, "fisher.safetensors");
        using (var fisher = UnitFisher()) fisher.Save(path);
        using var module = L2SpPenaltyTests.TinyLinear();
        using var controls = ForgettingControls.From(Bind("  l2sp: 0.1\n  ewc: 4\n"), path);
        using var lossParts = new LossPartsLog();
        controls.Prepare(new ForgettingSetup(module, new UnusedObjective(), General: null, lossParts, TextWriter.Null));
        var batch = new PretrainingBatch(null!, RehearsalCorpus.Domain);

        // At the anchor L2-SP adds 0; EWC's θ* is 0 with F = 1, so it adds (4/2)·Σθ² = 2·(1+4+9+16+25+36+0.25+0.25) = 183.
        using (var loss = controls.AddToLoss(tensor(1f), batch))
            Assert.Equal(1 + 183f, loss.item<float>(), 3);

        using (no_grad())
            foreach (var p in module.parameters()) p.add_(1f);
        // Every parameter moved by 1: L2-SP adds 0.1·8 = 0.8; EWC 2·Σ(θ+1)² = 2·(4+9+16+25+36+49+2.25+0.25) = 283.
        using (var moved = controls.AddToLoss(tensor(1f), batch))
            Assert.Equal(1 + 0.8f + 283f, moved.item<float>(), 3);
    }

    [Fact]
    public void MixedRehearsalReportsTheRealisedShareAndPenaltiesAddNothingToTheReport()
    {
        using var mixed = ForgettingControls.From(Bind("  rehearsal_domain: 3\n  rehearsal_general: 1\n  l2sp: 0.1\n"), "no-such-fisher.safetensors");
        var json = new JsonObject();
        mixed.AddToReport(json, microBatches: 10);
        var rehearsal = Assert.Single(json).Value!;
        Assert.Equal(2, rehearsal["general_batches"]!.GetValue<long>());   // micro-batches 3 and 7 of 0..9
        Assert.Equal(0.2, rehearsal["realised_share"]!.GetValue<double>(), 12);
        Assert.Null(rehearsal["rehearsal_share"]);

        var log = new StringWriter();
        mixed.DescribePlan(10, log);
        Assert.Contains("over the planned 10 micro-batches 2 are general", log.ToString());
    }

    /// <summary>F = 1 and θ* = 0 for TinyLinear's weight (2×3) and bias (2).</summary>
    private static FisherInformation UnitFisher() => new(new Dictionary<string, (Tensor, Tensor)>
    {
        ["weight"] = (ones(2, 3), zeros(2, 3)),
        ["bias"] = (ones(2), zeros(2)),
    }, batchCount: 1);

    private sealed class UnusedObjective : IPretrainingObjective
    {
        public PretrainingLoss Compute(MlmBatch batch) => throw new InvalidOperationException("penalties do not run the objective.");
    }
}
