using System.Diagnostics;
using System.Globalization;
using Acclimate.Errors;

namespace Acclimate.Runtime.Mpi;

/// <summary>
/// The processes <c>mpirun</c> started for one job (<c>MPI_COMM_WORLD</c>): this process's rank, how
/// many there are, and the collectives data-parallel training uses (sum all-reduce, broadcast,
/// barrier), each guarded by a watchdog that ends the whole job when a collective makes no progress
/// for <see cref="CollectiveTimeout"/> (a peer died or hangs), instead of waiting forever.
/// </summary>
/// <remarks>
/// MPI is a process-wide resource, initialised once per process, so the host application (the CLI)
/// starts it with <see cref="Initialize"/> when <see cref="LaunchedByMpirun"/> is true and ends it with
/// <see cref="Dispose"/>; the library itself never starts it. While it is running,
/// <see cref="Current"/> is the world, and the training loop trains data-parallel on it. A process
/// not launched by <c>mpirun</c> never loads libmpi and <see cref="Current"/> stays null.
/// </remarks>
public sealed unsafe class MpiWorld : IDisposable
{
    private static MpiWorld? _current;
    private readonly MpiLibrary _mpi;
    private readonly Thread _watchdog;
    private readonly TextWriter _errors;
    private long _collectiveStarted;   // Stopwatch ticks; 0 when no collective is running
    private string _collectiveName = "";
    private volatile bool _disposed;

    private MpiWorld(MpiLibrary mpi, int rank, int size, TimeSpan timeout, TextWriter errors)
    {
        _mpi = mpi;
        Rank = rank;
        Size = size;
        CollectiveTimeout = timeout;
        _errors = errors;
        _watchdog = new Thread(Watch) { IsBackground = true, Name = "mpi-watchdog" };
        _watchdog.Start();
    }

    /// <summary>The running world, or null when this process was not launched by <c>mpirun</c> (or MPI was not started).</summary>
    public static MpiWorld? Current => _current;

    /// <summary>True when <c>mpirun</c> (Open MPI or a PMIx launcher) started this process.</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 } || Environment.GetEnvironmentVariable("PMIX_RANK") is { Length: > 0 };

    /// <summary>
    /// The watchdog's limit from <c>ACCLIMATE_MPI_TIMEOUT</c> (seconds), default 1800: long enough for
    /// rank 0 to evaluate and write a checkpoint while the others wait at a barrier.
    /// </summary>
    public static TimeSpan TimeoutFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("ACCLIMATE_MPI_TIMEOUT");
        if (string.IsNullOrWhiteSpace(text)) return TimeSpan.FromSeconds(1800);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !(seconds > 0))
            throw new ConfigException($"ACCLIMATE_MPI_TIMEOUT '{text}' is not a positive number of seconds.");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>Processes in the job.</summary>
    public int Size { get; }

    /// <summary>Rank 0: the one that logs, evaluates, writes checkpoints and reports.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>How long one collective may wait before the watchdog aborts the job.</summary>
    public TimeSpan CollectiveTimeout { get; }

    /// <summary>
    /// Starts MPI (<c>MPI_Init_thread</c>, serialized) and the watchdog and makes the world
    /// <see cref="Current"/>; call once, from the host application, before any training.
    /// </summary>
    /// <param name="collectiveTimeout">How long a collective may make no progress before the job is aborted.</param>
    /// <param name="errors">Where a rank's fatal message goes (stderr).</param>
    public static MpiWorld Initialize(TimeSpan collectiveTimeout, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (collectiveTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(collectiveTimeout));
        if (_current is not null) throw new InvalidOperationException("MPI is already initialised in this process.");
        var mpi = MpiLibrary.Open();
        int provided, rank, size;
        Check(mpi.InitThread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < MpiLibrary.ThreadSerialized)
            throw new RuntimeSetupException($"MPI_Init_thread provided thread level {provided}; data-parallel training needs MPI_THREAD_SERIALIZED (2).");
        Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        var world = new MpiWorld(mpi, rank, size, collectiveTimeout, errors);
        _current = world;
        return world;
    }

    /// <summary>Sums <paramref name="values"/> over all ranks, in place; every rank gets the sum.</summary>
    public void AllReduceSum(Span<float> values, string what) => AllReduce(values, _mpi.Float, _mpi.OpSum, what);

    /// <summary>Sums <paramref name="values"/> over all ranks, in place.</summary>
    public void AllReduceSum(Span<double> values, string what) => AllReduce(values, _mpi.Double, _mpi.OpSum, what);

    /// <summary>The element-wise maximum over all ranks, in place.</summary>
    public void AllReduceMax(Span<double> values, string what) => AllReduce(values, _mpi.Double, _mpi.OpMax, what);

    /// <summary>Replaces <paramref name="values"/> on every rank by rank <paramref name="root"/>'s.</summary>
    public void Broadcast(Span<double> values, int root, string what)
    {
        ThrowIfDisposed();
        using var guard = Guard(what);
        fixed (double* p = values) Check(_mpi.Bcast((IntPtr)p, values.Length, _mpi.Double, root, _mpi.CommWorld), "MPI_Bcast (" + what + ")");
    }

    /// <summary>Waits until every rank has arrived (e.g. while rank 0 writes a checkpoint).</summary>
    public void Barrier(string what)
    {
        ThrowIfDisposed();
        using var guard = Guard(what);
        Check(_mpi.Barrier(_mpi.CommWorld), "MPI_Barrier (" + what + ")");
    }

    /// <summary>
    /// Ends every process of the job: prints <paramref name="message"/> (prefixed with this rank) to the
    /// error writer, then <c>MPI_Abort</c>. Does not return.
    /// </summary>
    public void Abort(string message, int exitCode)
    {
        try
        {
            _errors.WriteLine($"rank {Rank} of {Size}: {message}");
            _errors.Flush();
        }
        catch (IOException) { }
        _mpi.Abort(_mpi.CommWorld, exitCode == 0 ? 1 : exitCode);
        Environment.Exit(exitCode == 0 ? 1 : exitCode);   // MPI_Abort does not return; this is belt and braces
    }

    /// <summary>Stops the watchdog and finalises MPI (after a barrier, so no rank leaves while another still talks).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Barrier("the end of the job");
        _disposed = true;
        Check(_mpi.Finalize(), "MPI_Finalize");
        _current = null;
    }

    private void AllReduce<T>(Span<T> values, IntPtr type, IntPtr op, string what) where T : unmanaged
    {
        ThrowIfDisposed();
        if (values.IsEmpty) return;
        using var guard = Guard(what);
        fixed (T* p = values) Check(_mpi.Allreduce(MpiLibrary.InPlace, (IntPtr)p, values.Length, type, op, _mpi.CommWorld), "MPI_Allreduce (" + what + ")");
    }

    private CollectiveGuard Guard(string what)
    {
        _collectiveName = what;
        Interlocked.Exchange(ref _collectiveStarted, Stopwatch.GetTimestamp());
        return new CollectiveGuard(this);
    }

    private readonly struct CollectiveGuard(MpiWorld world) : IDisposable
    {
        public void Dispose() => Interlocked.Exchange(ref world._collectiveStarted, 0);
    }

    private void Watch()
    {
        while (!_disposed)
        {
            Thread.Sleep(TimeSpan.FromMilliseconds(Math.Clamp(CollectiveTimeout.TotalMilliseconds / 10, 50, 1000)));
            var started = Interlocked.Read(ref _collectiveStarted);
            if (started == 0 || _disposed) continue;
            var waited = Stopwatch.GetElapsedTime(started);
            if (waited < CollectiveTimeout) continue;
            Abort(string.Create(CultureInfo.InvariantCulture,
                $"error: {_collectiveName} made no progress for {waited.TotalSeconds:F0} s (limit ACCLIMATE_MPI_TIMEOUT={CollectiveTimeout.TotalSeconds:F0} s): another rank died, hangs or is much slower; aborting the job."), 124);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static void Check(int code, string call)
    {
        if (code != 0) throw new RuntimeSetupException($"{call} failed with MPI error code {code}.");
    }
}
