using Acclimate.Runtime.Mpi;

namespace Acclimate.Cli;

/// <summary>
/// Runs the CLI as one rank of an <c>mpirun</c> job: starts MPI, lets rank 0 alone print, gives the
/// other ranks a scratch run folder (deleted at the end) so that rank 0 alone writes the real one,
/// and turns a failure on any rank into the end of the whole job, with a message naming the rank.
/// Without <c>mpirun</c> it is not used and libmpi is never loaded.
/// </summary>
internal static class DataParallelHost
{
    private static string? _scratch;
    private static readonly string[] DataParallelVerbs = { "pretrain", "finetune" };

    /// <summary>For a rank other than 0 under mpirun: the folder it writes its copy of the run into; else null.</summary>
    public static string? ScratchRunFolder()
    {
        if (MpiWorld.Current is not { IsRoot: false } world) return null;
        return _scratch ??= Path.Combine(Path.GetTempPath(), $"acclimate-rank{world.Rank}-{Environment.ProcessId}");
    }

    public static int Run(string[] args)
    {
        MpiWorld world;
        try
        {
            world = MpiWorld.Initialize(MpiWorld.TimeoutFromEnvironment(), Console.Error);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
        // Only the training verbs know how to share work and writes among ranks; anything else run N
        // times would write the same files N times.
        if (args.Length == 0 || !DataParallelVerbs.Contains(args[0]))
            world.Abort($"error: under mpirun only {string.Join(" and ", DataParallelVerbs)} run (data-parallel); got '{string.Join(" ", args)}'. Run other commands without mpirun.", 2);
        // Rank 0 prints as a single process would; the others print only their failure (through Abort).
        var stdout = world.IsRoot ? Console.Out : TextWriter.Null;
        var stderr = new StringWriter();
        int status;
        try
        {
            status = CliApp.Run(args, stdout, stderr);
        }
        catch (Exception e)
        {
            stderr.WriteLine("internal error: " + e);
            status = 1;
        }
        finally
        {
            if (_scratch is not null && Directory.Exists(_scratch))
            {
                try { Directory.Delete(_scratch, recursive: true); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
        if (status != 0)
        {
            // Ends every rank: the others may be waiting for this one in a collective.
            world.Abort(stderr.ToString().TrimEnd(), status);
        }
        Console.Error.Write(stderr.ToString());
        world.Dispose();
        return 0;
    }
}
