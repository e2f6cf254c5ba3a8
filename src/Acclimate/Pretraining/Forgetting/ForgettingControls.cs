using System.Text.Json.Nodes;
using Acclimate.Continual;
using static TorchSharp.torch;

namespace Acclimate.Pretraining.Forgetting;

/// <summary>
/// The forgetting controls of one run, in the order they add to the loss, built from the
/// <c>forgetting:</c> section in one place (<see cref="From"/>); the run talks to this list only.
/// </summary>
internal sealed class ForgettingControls : IDisposable
{
    private readonly IReadOnlyList<IForgettingControl> _controls;

    private ForgettingControls(IReadOnlyList<IForgettingControl> controls)
    {
        _controls = controls;
        Mix = controls.Select(c => c.Mix).FirstOrDefault(m => m is not null);
    }

    /// <summary>
    /// The controls the section turns on: rehearsal by mixing (<c>rehearsal_share</c>, or
    /// <c>rehearsal_domain</c> : <c>rehearsal_general</c>), rehearsal by loss weight
    /// (<c>rehearsal_weight</c>), L2-SP (<c>l2sp</c>), EWC (<c>ewc</c>, Fisher read from or written
    /// to <paramref name="fisherPath"/>).
    /// </summary>
    public static ForgettingControls From(PretrainingForgettingOptions section, string fisherPath)
    {
        ArgumentNullException.ThrowIfNull(section);
        var controls = new List<IForgettingControl>();
        if (section.MixSchedule() is { } mix) controls.Add(new MixedRehearsalControl(mix, section.RehearsalShare));
        if (section.RehearsalWeight > 0) controls.Add(new WeightedRehearsalControl(section.RehearsalWeight));
        if (section.L2sp > 0) controls.Add(new L2SpControl(section.L2sp));
        if (section.Ewc > 0) controls.Add(new EwcControl(section.Ewc, section.EwcFisherBatches, fisherPath));
        return new ForgettingControls(controls);
    }

    /// <summary>The controls, in order.</summary>
    public IReadOnlyList<IForgettingControl> Controls => _controls;

    /// <summary>Whether any control needs <c>general.train</c>.</summary>
    public bool NeedsGeneralTrain => _controls.Any(c => c.NeedsGeneralTrain);

    /// <summary>What needs <c>general.train</c>, in words (for the error when it is missing).</summary>
    public string GeneralTrainPurpose => string.Join(" and ", _controls.Where(c => c.NeedsGeneralTrain).Select(c => c.Purpose));

    /// <summary>The batch source's mixing schedule (null: no mixing).</summary>
    public RehearsalSchedule? Mix { get; }

    /// <summary>Whether the batch source pairs each domain micro-batch with a general one.</summary>
    public bool PairsGeneralBatch => _controls.Any(c => c.PairsGeneralBatch);

    /// <summary>Prepares every control, in order.</summary>
    public void Prepare(ForgettingSetup setup)
    {
        foreach (var control in _controls) control.Prepare(setup);
    }

    /// <summary>The micro-batch's loss with every control's share added, in order.</summary>
    public Tensor AddToLoss(Tensor loss, PretrainingBatch batch)
    {
        foreach (var control in _controls) loss = control.AddToLoss(loss, batch);
        return loss;
    }

    /// <summary>Writes the controls' notes on the plan to <paramref name="log"/>.</summary>
    public void DescribePlan(long plannedMicroBatches, TextWriter log)
    {
        foreach (var control in _controls)
            if (control.DescribePlan(plannedMicroBatches) is { } line) log.WriteLine(line);
    }

    /// <summary>Adds the controls' entries to forgetting.json.</summary>
    public void AddToReport(JsonObject report, long microBatches)
    {
        foreach (var control in _controls) control.AddToReport(report, microBatches);
    }

    /// <summary>Frees the controls' tensors (anchors, Fisher), last first.</summary>
    public void Dispose()
    {
        for (var i = _controls.Count - 1; i >= 0; i--) _controls[i].Dispose();
    }
}
