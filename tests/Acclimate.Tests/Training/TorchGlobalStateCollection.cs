namespace Acclimate.Tests.Training;

/// <summary>
/// Tests that depend on torch's process-wide RNG or thread count. xunit runs this collection
/// after the parallel ones, alone, so another test's manual_seed or random draw cannot shift a
/// dropout mask in the middle of a bit-exact comparison.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalStateCollection
{
    public const string Name = "torch global state";
}
