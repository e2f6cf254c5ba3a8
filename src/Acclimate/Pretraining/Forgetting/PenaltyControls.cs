using System.Diagnostics;
using System.Globalization;
using Acclimate.Continual;
using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Pretraining.Forgetting;

/// <summary>L2-SP: λ·‖θ − θ₀‖² over every parameter, anchored at the weights as loaded (<see cref="L2SpPenalty"/>).</summary>
internal sealed class L2SpControl(double strength) : IForgettingControl
{
    private L2SpPenalty? _penalty;

    public bool NeedsGeneralTrain => false;
    public string Purpose => "L2-SP";

    public void Prepare(ForgettingSetup setup) => _penalty = new L2SpPenalty(setup.Module, strength, ParameterSelection.All);

    public Tensor AddToLoss(Tensor loss, PretrainingBatch batch) =>
        loss + (_penalty ?? throw new InvalidOperationException("Prepare the control before training.")).Compute();

    public void Dispose() => _penalty?.Dispose();
}

/// <summary>
/// EWC: (λ/2)·Σ F·(θ − θ*)² (<see cref="EwcPenalty"/>) with a diagonal Fisher read from
/// <paramref name="fisherPath"/> when that file exists, else estimated on <paramref name="fisherBatches"/>
/// general batches and written there (so it needs <c>general.train</c> only until the file exists).
/// </summary>
internal sealed class EwcControl(double strength, int fisherBatches, string fisherPath) : IForgettingControl
{
    private readonly bool _fisherExists = File.Exists(fisherPath);
    private FisherInformation? _fisher;
    private EwcPenalty? _penalty;

    public bool NeedsGeneralTrain => !_fisherExists;
    public string Purpose => $"EWC, whose Fisher file {fisherPath} does not exist yet";

    public void Prepare(ForgettingSetup setup)
    {
        _fisher = LoadOrEstimate(setup);
        _penalty = new EwcPenalty(setup.Module, _fisher, strength);
    }

    public Tensor AddToLoss(Tensor loss, PretrainingBatch batch) =>
        loss + (_penalty ?? throw new InvalidOperationException("Prepare the control before training.")).Compute();

    private FisherInformation LoadOrEstimate(ForgettingSetup setup)
    {
        if (File.Exists(fisherPath))
        {
            setup.Log.WriteLine($"EWC: Fisher information from {fisherPath}");
            return FisherInformation.Load(fisherPath);
        }
        var general = setup.General
            ?? throw new ConfigException($"forgetting.ewc_fisher_file {fisherPath} does not exist and there is no general.train corpus to estimate it from.");
        var clock = Stopwatch.StartNew();
        // The general sequence's first batches: each is a pure function of its index, so this takes nothing from the rehearsal that follows.
        var batches = Enumerable.Range(0, fisherBatches).Select(i => general.Batch(i));
        // Each batch is made here and used once: the loss frees it, rather than the finalizer thread later.
        var fisher = FisherEstimator.Estimate(setup.Module, batches, b =>
        {
            using (b) return setup.Objective.Compute(b).Total;
        }, ParameterSelection.All, fisherBatches);
        fisher.Save(fisherPath);
        setup.Log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"EWC: Fisher estimated on {fisher.BatchCount} general batches in {clock.Elapsed.TotalSeconds:F1} s, saved to {fisherPath}"));
        return fisher;
    }

    public void Dispose()
    {
        _penalty?.Dispose();
        _fisher?.Dispose();
    }
}
