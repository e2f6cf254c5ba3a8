using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Acclimate.Errors;
using TorchSharp;

namespace Acclimate.Runtime;

/// <summary>
/// Starts libtorch through TorchSharp once per process. On Linux systems whose libstdc++ lacks
/// GLIBCXX_3.4.32 the build patches TorchSharp's native bridge and leaves a one-symbol shim
/// library beside it (see build/patch-libtorchsharp.sh); that shim must be loaded with
/// RTLD_GLOBAL before the bridge so its symbol resolves. Call <see cref="EnsureInitialized"/>
/// before the first torch operation; the library's module initializer already does.
/// </summary>
public static class TorchRuntime
{
    private const string ShimFileName = "libacclimate_glibcxx_shim.so";
    private static readonly object Gate = new();
    private static bool _initialized;

#pragma warning disable CA2255 // a library initializer is exactly what is needed: the shim must precede TorchSharp
    [ModuleInitializer]
    internal static void InitializeOnLoad()
    {
        // Loading the shim is cheap and must precede TorchSharp's own native load; libtorch
        // itself is started lazily by the first EnsureInitialized call.
        LoadGlibcxxShimIfPresent();
    }
#pragma warning restore CA2255

    /// <summary>Loads the shim (if any) and starts the libtorch CPU backend; idempotent.</summary>
    public static void EnsureInitialized()
    {
        if (_initialized) return;
        lock (Gate)
        {
            if (_initialized) return;
            LoadGlibcxxShimIfPresent();
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e)
            {
                throw new RuntimeSetupException(
                    "TorchSharp could not start libtorch on this machine: " + Innermost(e).Message +
                    ". On Linux with an older libstdc++ (no GLIBCXX_3.4.32, e.g. Debian 12), build through " +
                    "'dotnet build' so build/patch-libtorchsharp.sh patches the output copy; it needs g++ and " +
                    "binutils (apt-get install g++ binutils). See README.md, Troubleshooting.", e);
            }
            _initialized = true;
        }
    }

    /// <summary>
    /// Sets libtorch's intra-op thread count for the calling thread, only when it differs. With
    /// libtorch's OpenMP build the count is OpenMP's per-thread setting (omp_set_num_threads and
    /// MKL's thread-local count), so get and set both act on the calling thread: a run sets it on
    /// the thread that does its work, and a host thread that never called this keeps OpenMP's default.
    /// </summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        EnsureInitialized();
        lock (Gate)
        {
            if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
        }
    }

    /// <summary>
    /// Resolves "cpu", "cuda", "cuda:1" or "auto" (cuda when present, else cpu). Asking for cuda on
    /// a machine without it is a <see cref="ConfigException"/> naming <paramref name="option"/>
    /// (the CLI flag or recipe key the name came from), never a silent fall-back to the CPU.
    /// </summary>
    public static torch.Device ResolveDevice(string? name, string option = "--device")
    {
        EnsureInitialized();
        var wanted = string.IsNullOrWhiteSpace(name) ? "auto" : name.Trim().ToLowerInvariant();
        if (wanted == "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (wanted.StartsWith("cuda", StringComparison.Ordinal) && !torch.cuda.is_available())
            throw new ConfigException($"{option} {name}: CUDA is not available on this machine (use 'cpu' or 'auto').");
        try { return torch.device(wanted); }
        catch (Exception e) { throw new ConfigException($"{option} {name}: not a device name (expected cpu, cuda, cuda:N or auto).", e); }
    }

    private static void LoadGlibcxxShimIfPresent()
    {
        if (!OperatingSystem.IsLinux()) return;
        foreach (var dir in new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), AppContext.BaseDirectory })
        {
            var shim = Path.Combine(dir, ShimFileName);
            if (!File.Exists(shim)) continue;
            if (dlopen(shim, RtldNow | RtldGlobal) == IntPtr.Zero)
                throw new RuntimeSetupException($"Could not load {shim}: {Marshal.PtrToStringAnsi(dlerror()) ?? "unknown dlopen error"}.");
            return;
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private const int RtldNow = 0x2;
    private const int RtldGlobal = 0x100;

    [DllImport("libc.so.6", CharSet = CharSet.Ansi)]
    private static extern IntPtr dlopen(string fileName, int flags);

    [DllImport("libc.so.6")]
    private static extern IntPtr dlerror();
}
