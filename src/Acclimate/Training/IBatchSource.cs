using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace Acclimate.Training;

/// <summary>
/// Where <see cref="TrainingLoop{TBatch}"/> gets its micro-batches: one epoch at a time, with a
/// position that can be saved into a checkpoint and restored, so a resumed run sees exactly the
/// batches the uninterrupted run would have seen.
/// </summary>
/// <remarks>
/// The loop calls <see cref="StartEpoch"/> before the first batch of every epoch (not when it
/// resumes mid-epoch: then it calls <see cref="RestorePosition"/> instead), then
/// <see cref="TryNext"/> until it returns false. Make the order of an epoch a pure function of
/// (seed, epoch), and any per-batch randomness (masking) a function of the position or of state
/// the position holds; then the position alone restores the data stream. <see cref="StartEpoch"/>
/// and <see cref="TryNext"/> are called inside the update's dispose scope: tensors a batch holds
/// are freed when the step ends, and tensors the source keeps across calls must be detached from
/// the scope (<c>DetachFromDisposeScope</c>).
/// </remarks>
public interface IBatchSource<TBatch>
{
    /// <summary>Micro-batches in one epoch, or null when unknown (a stream); then the run needs <c>max_steps</c>.</summary>
    long? BatchesPerEpoch { get; }

    /// <summary>Begins epoch <paramref name="epoch"/> (0-based) from its first batch.</summary>
    void StartEpoch(int epoch);

    /// <summary>The next micro-batch of the current epoch, or false when the epoch is exhausted.</summary>
    bool TryNext([MaybeNullWhen(false)] out TBatch batch);

    /// <summary>The position just after the last batch handed out, as JSON that <see cref="RestorePosition"/> accepts.</summary>
    JsonNode SavePosition();

    /// <summary>Continues from a position returned by <see cref="SavePosition"/> (possibly of another instance built the same way).</summary>
    void RestorePosition(JsonNode position);
}
