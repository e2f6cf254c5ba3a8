using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Runtime;

/// <summary>Moves modules to a run's device (see <see cref="TorchRuntime.ResolveDevice"/>).</summary>
public static class DevicePlacement
{
    /// <summary>
    /// Moves <paramref name="module"/>'s parameters and buffers to <paramref name="device"/>. When
    /// all of them are there already (every CPU run) nothing is touched, so the parameter objects an
    /// optimizer or penalty holds stay the same.
    /// </summary>
    public static T MoveTo<T>(T module, Device device) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(device);
        if (module.parameters().All(p => IsOn(p, device)) && module.buffers().All(b => IsOn(b, device))) return module;
        module.to(device);
        return module;
    }

    /// <summary>True when <paramref name="tensor"/> lives on <paramref name="device"/> (an index of -1 matches any index of that type).</summary>
    public static bool IsOn(Tensor tensor, Device device)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(device);
        if (tensor.device_type != device.type) return false;
        return device.type == DeviceType.CPU || device.index < 0 || tensor.device_index == device.index;
    }
}
