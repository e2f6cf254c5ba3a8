using Acclimate.Runtime;

namespace Acclimate.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        // The CLI is the host application, so it may tune the process's allocator: training here
        // would otherwise page-fault its activations back in every step (see NativeAllocator).
        // ACCLIMATE_MALLOC=system keeps the C library's defaults.
        if (Environment.GetEnvironmentVariable("ACCLIMATE_MALLOC") != "system") NativeAllocator.RetainFreedMemory();
        // Under mpirun the process is one rank of a data-parallel job (docs/scale-out.md); otherwise MPI is never loaded.
        return Runtime.Mpi.MpiWorld.LaunchedByMpirun ? DataParallelHost.Run(args) : CliApp.Run(args);
    }
}
