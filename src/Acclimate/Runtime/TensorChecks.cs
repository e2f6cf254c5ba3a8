using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Runtime;

/// <summary>
/// When value checks on tensors run: the checks that read a tensor's values on the host (token
/// ids inside the vocabulary, masks that are right-padded prefixes, gold tags inside the tag set).
/// On the CPU every operation is synchronous, so reading a reduction costs only the reduction and
/// the checks always run. On an asynchronous device (CUDA) each read would stall the training
/// step until the device catches up, so there they run only when asked for — set
/// <c>ACCLIMATE_DEBUG_CHECKS=1</c> or <see cref="Always"/> — and the host-side collators carry the
/// guarantees instead (they build right-padded masks and reject ids outside the vocabulary).
/// </summary>
internal static class TensorChecks
{
    /// <summary>Run the checks on every device (default: from ACCLIMATE_DEBUG_CHECKS=1).</summary>
    public static bool Always { get; set; } = Environment.GetEnvironmentVariable("ACCLIMATE_DEBUG_CHECKS") == "1";

    /// <summary>True when a value check on <paramref name="tensor"/> should run.</summary>
    public static bool ShouldRun(Tensor tensor) => Always || tensor.device_type == DeviceType.CPU;
}
