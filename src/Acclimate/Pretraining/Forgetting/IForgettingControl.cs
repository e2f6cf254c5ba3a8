using System.Text.Json.Nodes;
using Acclimate.Continual;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Pretraining.Forgetting;

/// <summary>
/// One forgetting control of a pretraining run (rehearsal by mixing or by loss weight, L2-SP, EWC),
/// built from the recipe's <c>forgetting:</c> section by <see cref="ForgettingControls.From"/>. The
/// run calls the hooks in this order: <see cref="NeedsGeneralTrain"/> and the batch-source shape
/// (<see cref="Mix"/>, <see cref="PairsGeneralBatch"/>) while it builds the data,
/// <see cref="Prepare"/> once on the weights as loaded, <see cref="AddToLoss"/> on every
/// micro-batch, <see cref="DescribePlan"/> once the number of updates is known, and
/// <see cref="AddToReport"/> when it writes forgetting.json. A new control implements the hooks it
/// needs and adds one line to the factory; the run does not change.
/// </summary>
internal interface IForgettingControl : IDisposable
{
    /// <summary>Whether the run must read <c>general.train</c> for this control.</summary>
    bool NeedsGeneralTrain { get; }

    /// <summary>Why (for the error when <c>general.train</c> is missing), e.g. "rehearsal".</summary>
    string Purpose { get; }

    /// <summary>The schedule by which the batch source interleaves general batches (null: none).</summary>
    RehearsalSchedule? Mix => null;

    /// <summary>Whether the batch source pairs every domain micro-batch with a general one.</summary>
    bool PairsGeneralBatch => false;

    /// <summary>
    /// Before training, on the weights as loaded and before a resume moves them: where penalties
    /// take their anchors and EWC its Fisher information.
    /// </summary>
    void Prepare(ForgettingSetup setup) { }

    /// <summary>This control's share of one micro-batch's loss, added to <paramref name="loss"/>.</summary>
    Tensor AddToLoss(Tensor loss, PretrainingBatch batch) => loss;

    /// <summary>A log line about the plan (<paramref name="plannedMicroBatches"/> micro-batches), or null.</summary>
    string? DescribePlan(long plannedMicroBatches) => null;

    /// <summary>Adds this control's entry to forgetting.json after <paramref name="microBatches"/> micro-batches.</summary>
    void AddToReport(JsonObject report, long microBatches) { }

    void IDisposable.Dispose() { }
}

/// <summary>What the controls may use when they prepare: the model, its objective, general batches and the log.</summary>
/// <param name="Module">The module being trained (the MLM model, or ELECTRA's generator + discriminator).</param>
/// <param name="Objective">The run's pretraining objective.</param>
/// <param name="General">General-domain batches (null when no control asked for <c>general.train</c>).</param>
/// <param name="LossParts">Where per-part losses are logged.</param>
/// <param name="Log">The run's log.</param>
internal sealed record ForgettingSetup(nn.Module Module, IPretrainingObjective Objective, PretrainingBatchSequence? General, LossPartsLog LossParts, TextWriter Log);
