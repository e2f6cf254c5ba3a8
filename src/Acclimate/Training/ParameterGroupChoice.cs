namespace Acclimate.Training;

/// <summary>
/// Where one parameter goes in the optimizer: the name of its group (e.g. <c>encoder</c>,
/// <c>head</c>, <c>crf</c>, <c>layer_3</c>) and that group's peak learning rate, which the schedule
/// then scales. Every parameter a caller puts into one group must get the same learning rate.
/// </summary>
public sealed record ParameterGroupChoice(string Group, double LearningRate);
