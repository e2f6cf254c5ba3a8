using System.Runtime.InteropServices;
using Acclimate.Errors;

namespace Acclimate.Runtime.Mpi;

/// <summary>
/// The few MPI calls data-parallel training needs, bound by hand to Open MPI's <c>libmpi.so.40</c>.
/// MPI.NET 1.4.0 (the package on the feed) binds to Microsoft MPI (<c>msmpi.dll</c>) and uses its
/// integer handles, so it cannot run against Open MPI on Linux; this binding is the thin
/// alternative. Open MPI's predefined handles (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>,
/// <c>MPI_SUM</c>…) are the addresses of exported objects (<c>ompi_mpi_comm_world</c>…), read with
/// <c>dlsym</c>. The library is opened with <c>RTLD_GLOBAL</c>, as Open MPI's plugins need, and only
/// when a process launched by <c>mpirun</c> asks for it.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    private const int RtldNow = 2, RtldGlobal = 0x100;
    internal const int ThreadSerialized = 2;
    internal static readonly IntPtr InPlace = 1;   // Open MPI's MPI_IN_PLACE

    [DllImport("libc", EntryPoint = "dlopen")] private static extern IntPtr DlOpen(string file, int mode);
    [DllImport("libc", EntryPoint = "dlsym")] private static extern IntPtr DlSym(IntPtr handle, string name);
    [DllImport("libc", EntryPoint = "dlerror")] private static extern IntPtr DlError();

    public readonly IntPtr CommWorld, Float, Double, OpSum, OpMax;
    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<IntPtr, int*, int> CommRank;
    public readonly delegate* unmanaged<IntPtr, int*, int> CommSize;
    public readonly delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int> Allreduce;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int> Bcast;
    public readonly delegate* unmanaged<IntPtr, int> Barrier;
    public readonly delegate* unmanaged<IntPtr, int, int> Abort;

    private MpiLibrary(IntPtr handle)
    {
        IntPtr Symbol(string name)
        {
            var address = DlSym(handle, name);
            if (address == IntPtr.Zero) throw new RuntimeSetupException($"libmpi.so.40 has no symbol {name}; data-parallel training needs Open MPI 4.x (apt-get install openmpi-bin libopenmpi-dev).");
            return address;
        }
        CommWorld = Symbol("ompi_mpi_comm_world");
        Float = Symbol("ompi_mpi_float");
        Double = Symbol("ompi_mpi_double");
        OpSum = Symbol("ompi_mpi_op_sum");
        OpMax = Symbol("ompi_mpi_op_max");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Symbol("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Symbol("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Symbol("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Symbol("MPI_Finalize");
        CommRank = (delegate* unmanaged<IntPtr, int*, int>)Symbol("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<IntPtr, int*, int>)Symbol("MPI_Comm_size");
        Allreduce = (delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int>)Symbol("MPI_Allreduce");
        Bcast = (delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int>)Symbol("MPI_Bcast");
        Barrier = (delegate* unmanaged<IntPtr, int>)Symbol("MPI_Barrier");
        Abort = (delegate* unmanaged<IntPtr, int, int>)Symbol("MPI_Abort");
    }

    /// <summary>Opens libmpi (<c>ACCLIMATE_LIBMPI</c> names another file) or fails naming what to install.</summary>
    public static MpiLibrary Open()
    {
        var file = Environment.GetEnvironmentVariable("ACCLIMATE_LIBMPI") is { Length: > 0 } custom ? custom : "libmpi.so.40";
        var handle = DlOpen(file, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero)
        {
            var reason = Marshal.PtrToStringUTF8(DlError()) ?? "unknown reason";
            throw new RuntimeSetupException($"this process runs under mpirun, but {file} cannot be loaded ({reason}); install Open MPI 4.x (apt-get install openmpi-bin libopenmpi-dev) or set ACCLIMATE_LIBMPI to its libmpi.");
        }
        return new MpiLibrary(handle);
    }
}
