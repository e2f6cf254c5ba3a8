namespace Acclimate.Training;

/// <summary>
/// One parameter group of an <see cref="AdamWOptimizer"/>: the caller's group name (with
/// <c>/no_decay</c> appended for its biases and LayerNorm weights), the peak learning rate the
/// schedule scales, the weight decay, and the parameters' state-dict names in optimizer order.
/// </summary>
public sealed record OptimizerGroup(string Name, double BaseLearningRate, double WeightDecay, IReadOnlyList<string> ParameterNames);
