using Acclimate.Errors;

namespace Acclimate.Continual;

/// <summary>
/// A deterministic interleaving of domain and general batches at a fixed ratio: in every period
/// of <see cref="Period"/> = d + g steps there are exactly d domain and g general steps, spread
/// as evenly as possible (step i of a period is general when ⌊(i+1)·g/P⌋ &gt; ⌊i·g/P⌋). The
/// schedule is a pure function of the step, so a resumed run knows from the step alone which
/// source comes next and how many batches of each were used (<see cref="CountsBefore"/>).
/// </summary>
public sealed class RehearsalSchedule
{
    /// <param name="domainPerPeriod">d: domain batches per period.</param>
    /// <param name="generalPerPeriod">g: general batches per period (e.g. d = 4, g = 1 rehearses one general batch in five).</param>
    public RehearsalSchedule(int domainPerPeriod, int generalPerPeriod)
    {
        if (domainPerPeriod < 0 || generalPerPeriod < 0 || domainPerPeriod + generalPerPeriod == 0)
            throw new ConfigException($"a rehearsal ratio needs non-negative counts, not both zero; found domain {domainPerPeriod}, general {generalPerPeriod}.");
        DomainPerPeriod = domainPerPeriod;
        GeneralPerPeriod = generalPerPeriod;
    }

    /// <summary>
    /// The schedule that draws a share <paramref name="share"/> (0 &lt; share ≤ 0.5) of all batches
    /// from general text: the share is rounded to a multiple of 10⁻⁶ and reduced to a fraction g/P,
    /// so step s is general when ⌊(s+1)·g/P⌋ &gt; ⌊s·g/P⌋ and N steps hold exactly ⌊N·g/P⌋ general
    /// batches, spread evenly — within one batch of N·share. Integer arithmetic throughout, so the
    /// schedule stays a pure function of the step (exact resume). E.g. 0.05 gives 19 : 1.
    /// </summary>
    /// <param name="share">Share of general batches (hence of tokens, when blocks are packed).</param>
    public static RehearsalSchedule FromShare(double share)
    {
        if (!(share > 0 && share <= 0.5))
            throw new ConfigException($"rehearsal_share must be in (0, 0.5] (got {share.ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
        const long scale = 1_000_000;
        var general = Math.Max(1L, (long)Math.Round(share * scale, MidpointRounding.AwayFromZero));
        var divisor = Gcd(general, scale);
        general /= divisor;
        var period = scale / divisor;
        return new RehearsalSchedule(checked((int)(period - general)), checked((int)general));
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>Domain batches in each period.</summary>
    public int DomainPerPeriod { get; }
    /// <summary>General (rehearsal) batches in each period.</summary>
    public int GeneralPerPeriod { get; }
    /// <summary>Batches per period, domain and general together.</summary>
    public int Period => DomainPerPeriod + GeneralPerPeriod;

    /// <summary>Share of general batches, g / (d + g).</summary>
    public double GeneralFraction => (double)GeneralPerPeriod / Period;

    /// <summary>The source of step <paramref name="step"/> (0-based).</summary>
    public RehearsalCorpus SourceAt(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "steps count from 0.");
        var i = step % Period;
        return (i + 1) * (long)GeneralPerPeriod / Period > i * GeneralPerPeriod / Period ? RehearsalCorpus.General : RehearsalCorpus.Domain;
    }

    /// <summary>How many domain and general batches steps 0 … step−1 used.</summary>
    public (long Domain, long General) CountsBefore(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "steps count from 0.");
        var general = step / Period * GeneralPerPeriod + step % Period * GeneralPerPeriod / Period;
        return (step - general, general);
    }
}
