using System.Runtime.InteropServices;

namespace Acclimate.Runtime;

/// <summary>
/// Opt-in tuning of glibc's malloc for training processes. libtorch on the CPU allocates every
/// activation, gradient and bf16 copy with malloc and frees it within the step. glibc serves any
/// block above its mmap threshold (at most 32 MiB, however it adapts) with a fresh mmap and gives it
/// back with munmap, and trims the heap top above its trim threshold: the next step then page-faults
/// and zero-fills the same memory again. For all-MiniLM-L6-v2 pretraining (a 75 MB logits block and a
/// 47 MB embedding gradient every step) that was ~200,000 page faults per step and a quarter of the
/// CPU time in the kernel; with freed memory retained, ~7,000 and 2 %, and 2.5× the tokens/s in bf16
/// (docs/benchmarks.md).
/// <para>
/// This changes process-wide allocator settings, so the library never does it on its own: a host
/// application calls <see cref="RetainFreedMemory"/> (the acclimate CLI and the benchmark do). The
/// price is that the process keeps its peak heap: memory freed after a large step is reused by the
/// next one but not returned to the system until the process ends.
/// </para>
/// <para>
/// The retention is complete on the main heap, which serves the process's first thread (where the
/// CLI trains). A thread with its own glibc arena still gets blocks above that arena's heap size
/// (64 MiB) as fresh mappings, and an arena heap that empties is unmapped whatever the trim
/// threshold; so a host that trains on another thread keeps part of the page faults. The effect is
/// measured by the benchmark (`speed`, faults per step), not by a unit test: in a test host the
/// outcome depends on which arena the test thread drew.
/// </para>
/// </summary>
public static class NativeAllocator
{
    // glibc's mallopt parameter numbers (malloc.h).
    private const int MTrimThreshold = -1;
    private const int MMmapMax = -4;

    /// <summary>
    /// Tells glibc's malloc to serve every block from its heaps (no per-block mmap) and never trim
    /// them, so freed memory stays mapped and is reused without page faults. Returns false, changing
    /// nothing, where the C library is not glibc (macOS, Windows, musl) or when the user already
    /// tunes malloc through <c>GLIBC_TUNABLES</c> (their settings win). Idempotent.
    /// </summary>
    public static bool RetainFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        var tunables = Environment.GetEnvironmentVariable("GLIBC_TUNABLES");
        if (tunables is not null && tunables.Contains("glibc.malloc.", StringComparison.Ordinal)) return false;
        try
        {
            _ = gnu_get_libc_version();   // throws where libc.so.6 is not glibc
            // Order matters: with mmap disabled first, no large block can slip out between the calls.
            return mallopt(MMmapMax, 0) == 1 && mallopt(MTrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc.so.6")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc.so.6")]
    private static extern IntPtr gnu_get_libc_version();
}
