using Acclimate.Errors;

namespace Acclimate.Continual;

/// <summary>
/// Interleaves general-domain batches into domain batches following a <see cref="RehearsalSchedule"/>.
/// Batches are fetched by index from each source (<c>batchAt(k)</c> gives that source's k-th batch),
/// so the mix is reproducible from its position alone: a mixer built with <c>startStep = s</c>
/// yields exactly what an uninterrupted mixer yields from step s on. Sources that end (return
/// false) stop the mix.
/// </summary>
internal sealed class RehearsalMixer<T>
{
    /// <summary>Fetches batch <c>index</c> of a source; false when the source has no such batch.</summary>
    public delegate bool BatchAt(long index, out T batch);

    private readonly BatchAt _domain;
    private readonly BatchAt _general;

    public RehearsalMixer(RehearsalSchedule schedule, BatchAt domain, BatchAt general, long startStep = 0)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(general);
        if (startStep < 0) throw new ArgumentOutOfRangeException(nameof(startStep), startStep, "steps count from 0.");
        Schedule = schedule;
        _domain = domain;
        _general = general;
        Position = startStep;
    }

    /// <summary>A mixer over two lists (each source cycles: batch k is list[k mod count]).</summary>
    public static RehearsalMixer<T> Cycling(RehearsalSchedule schedule, IReadOnlyList<T> domain, IReadOnlyList<T> general, long startStep = 0)
    {
        if (domain.Count == 0 && schedule.DomainPerPeriod > 0) throw new DataException("the rehearsal mix needs domain batches, but the domain source is empty.");
        if (general.Count == 0 && schedule.GeneralPerPeriod > 0) throw new DataException("the rehearsal mix needs general batches, but the general source is empty.");
        return new RehearsalMixer<T>(schedule,
            (long k, out T b) => { b = domain[(int)(k % domain.Count)]; return true; },
            (long k, out T b) => { b = general[(int)(k % general.Count)]; return true; },
            startStep);
    }

    public RehearsalSchedule Schedule { get; }

    /// <summary>The step the next batch belongs to (save it with a checkpoint; pass it as startStep to resume).</summary>
    public long Position { get; private set; }

    /// <summary>The next step's batch, or false when its source has run out (the position then stays).</summary>
    public bool TryNext(out MixedBatch<T> next)
    {
        var source = Schedule.SourceAt(Position);
        var (domainUsed, generalUsed) = Schedule.CountsBefore(Position);
        var index = source == BatchSource.Domain ? domainUsed : generalUsed;
        var fetch = source == BatchSource.Domain ? _domain : _general;
        if (!fetch(index, out var batch))
        {
            next = default;
            return false;
        }
        next = new MixedBatch<T>(Position, source, index, batch);
        Position++;
        return true;
    }
}
