using System.Globalization;
using System.Runtime.InteropServices;
using Acclimate.Runtime;

namespace Acclimate.Tests.Runtime;

public sealed class NativeAllocatorTests
{
    [Fact]
    public void RetainedMemoryIsReusedWithoutPageFaults()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/thread-self/stat")) return;   // glibc's malloc and /proc are Linux facts
        Assert.True(NativeAllocator.RetainFreedMemory(), "glibc's mallopt should accept the settings on this machine");

        // 48 MiB is above the largest mmap threshold glibc ever adapts to (32 MiB): by default every
        // such block is a fresh mapping, so touching it again faults in all 12,288 pages.
        const int size = 48 << 20;
        Touch(size);
        var before = MinorFaultsOfThisThread();
        Touch(size);
        var faults = MinorFaultsOfThisThread() - before;
        Assert.True(faults < size / 4096 / 10, $"the second 48 MiB block faulted {faults} pages in; retained memory should be reused");
    }

    // Marshal's HGlobal is malloc and free on Linux.
    private static void Touch(int size)
    {
        var block = Marshal.AllocHGlobal(size);
        try
        {
            for (var i = 0; i < size; i += 4096) Marshal.WriteByte(block, i, 1);
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    // Per thread, so tests running in parallel do not disturb the count.
    private static long MinorFaultsOfThisThread()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);   // minflt, field 10 of stat(5)
    }
}
