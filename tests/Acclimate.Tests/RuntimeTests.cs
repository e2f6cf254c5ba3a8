using Acclimate.Runtime;
using TorchSharp;

namespace Acclimate.Tests;

public sealed class RuntimeTests
{
    [Fact]
    public void TorchStartsAndComputesAMatmul()
    {
        TorchRuntime.EnsureInitialized();
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var b = torch.tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 });
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }

    [Fact]
    public void AutoResolvesToCudaOnlyWhenPresentAndCudaWithoutItIsAnErrorNamingTheOption()
    {
        TorchRuntime.EnsureInitialized();
        var auto = TorchRuntime.ResolveDevice("auto");
        Assert.Equal(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, auto.type);
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice(" CPU ").type);
        var bad = Assert.Throws<Acclimate.Errors.ConfigException>(() => TorchRuntime.ResolveDevice("gpu", "training.device"));
        Assert.Contains("training.device gpu", bad.Message);
        Assert.Contains("cpu, cuda, cuda:N or auto", bad.Message);
        if (torch.cuda.is_available()) return;   // the rest is about machines without CUDA (all of ours)
        foreach (var name in new[] { "cuda", "cuda:1" })
        {
            var e = Assert.Throws<Acclimate.Errors.ConfigException>(() => TorchRuntime.ResolveDevice(name, "training.device"));
            Assert.Contains($"training.device {name}", e.Message);
            Assert.Contains("CUDA is not available", e.Message);
        }
    }

    [Fact]
    public void DevicePlacementLeavesAModuleAlreadyOnTheDeviceUntouched()
    {
        TorchRuntime.EnsureInitialized();
        using var linear = torch.nn.Linear(3, 2);
        var before = linear.parameters().Select(p => p.Handle).ToArray();
        Assert.Same(linear, DevicePlacement.MoveTo(linear, torch.CPU));
        Assert.Equal(before, linear.parameters().Select(p => p.Handle).ToArray());
        Assert.True(DevicePlacement.IsOn(linear.weight, torch.CPU));
        Assert.False(DevicePlacement.IsOn(linear.weight, new torch.Device(DeviceType.CUDA, 0)));
    }
}
