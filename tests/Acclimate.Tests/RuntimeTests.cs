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
    public void OnLinuxTheMallocMmapThresholdIsPinnedAtStartup()
    {
        TorchRuntime.EnsureInitialized();
        if (OperatingSystem.IsLinux()) Assert.Equal(128 * 1024, TorchRuntime.MallocMmapThreshold);
        else Assert.Null(TorchRuntime.MallocMmapThreshold);
    }
}
