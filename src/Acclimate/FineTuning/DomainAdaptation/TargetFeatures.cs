using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Acclimate.FineTuning.DomainAdaptation;

/// <summary>
/// <see cref="ITargetFeatures"/> over a task's encoded target examples: <see cref="TargetBatches{T}"/>
/// draws the batches, the task's <paramref name="features"/> runs the model on them.
/// </summary>
internal sealed class TargetFeatures<T>(TargetBatches<T> batches, Func<IReadOnlyList<T>, Tensor> features) : ITargetFeatures
{
    private readonly TargetBatches<T> _batches = batches ?? throw new ArgumentNullException(nameof(batches));
    private readonly Func<IReadOnlyList<T>, Tensor> _features = features ?? throw new ArgumentNullException(nameof(features));

    /// <inheritdoc />
    public int Count => _batches.Count;

    /// <inheritdoc />
    public Tensor Next() => _features(_batches.Next());

    /// <inheritdoc />
    public JsonNode SaveState() => _batches.SaveState();

    /// <inheritdoc />
    public void RestoreState(JsonNode? state) => _batches.RestoreState(state);
}
