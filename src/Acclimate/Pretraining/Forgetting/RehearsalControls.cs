using System.Globalization;
using System.Text.Json.Nodes;
using Acclimate.Continual;
using static TorchSharp.torch;

namespace Acclimate.Pretraining.Forgetting;

/// <summary>
/// Rehearsal by mixing: the batch source interleaves general micro-batches with domain ones by a
/// <see cref="RehearsalSchedule"/> (see <see cref="PretrainingBatchSource.At"/>); the loss is the
/// objective's on whichever batch comes.
/// </summary>
internal sealed class MixedRehearsalControl(RehearsalSchedule schedule, double share) : IForgettingControl
{
    public bool NeedsGeneralTrain => true;
    public string Purpose => "rehearsal";
    public RehearsalSchedule? Mix => schedule;

    public string DescribePlan(long plannedMicroBatches) => string.Create(CultureInfo.InvariantCulture,
        $"rehearsal: {schedule.GeneralPerPeriod} general batch(es) in every {schedule.Period} (share {schedule.GeneralFraction:0.######}); " +
        $"over the planned {plannedMicroBatches} micro-batches {schedule.CountsBefore(plannedMicroBatches).General} are general (realised share {RealisedShare(plannedMicroBatches):0.######})");

    public void AddToReport(JsonObject report, long microBatches) => report["rehearsal"] = new JsonObject
    {
        ["rehearsal_share"] = share > 0 ? share : null,
        ["domain_per_period"] = schedule.DomainPerPeriod, ["general_per_period"] = schedule.GeneralPerPeriod,
        ["micro_batches"] = microBatches, ["general_batches"] = schedule.CountsBefore(microBatches).General,
        ["realised_share"] = RealisedShare(microBatches),
    };

    /// <summary>General batches among the first <paramref name="microBatches"/>, as a share (0 for none).</summary>
    private double RealisedShare(long microBatches) =>
        microBatches > 0 ? (double)schedule.CountsBefore(microBatches).General / microBatches : 0;
}

/// <summary>
/// Rehearsal by loss weight: every domain micro-batch comes with a general one, and the loss is
/// L_domain + α·L_general (<see cref="WeightedRehearsal"/>); the general parts are logged with a
/// <c>general_</c> prefix.
/// </summary>
internal sealed class WeightedRehearsalControl(double weight) : IForgettingControl
{
    private readonly WeightedRehearsal _weighting = new(weight);
    private ForgettingSetup? _setup;

    public bool NeedsGeneralTrain => true;
    public string Purpose => "rehearsal";
    public bool PairsGeneralBatch => true;

    public void Prepare(ForgettingSetup setup) => _setup = setup;

    public Tensor AddToLoss(Tensor loss, PretrainingBatch batch)
    {
        if (batch.General is null) return loss;
        var setup = _setup ?? throw new InvalidOperationException("Prepare the control before training.");
        var general = setup.Objective.Compute(batch.General);
        setup.LossParts.Add(general.Parts, prefix: "general_");
        return _weighting.Combine(loss, general.Total);
    }
}
