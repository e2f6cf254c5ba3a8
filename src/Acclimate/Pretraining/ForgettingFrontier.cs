using Acclimate.Errors;

namespace Acclimate.Pretraining;

/// <summary>One scored model of a frontier: its method label and its held-out masked-LM losses (nats).</summary>
/// <param name="Label">The method (rows with the same label are independent pretraining runs of it).</param>
/// <param name="Model">Where the model came from (a folder), for the tables.</param>
/// <param name="DomainLoss">Masked-LM loss on the domain held-out set.</param>
/// <param name="GeneralLoss">Masked-LM loss on the general held-out set.</param>
public sealed record FrontierRun(string Label, string Model, double DomainLoss, double GeneralLoss);

/// <summary>A run placed on the frontier's axes.</summary>
/// <param name="Run">The scored run.</param>
/// <param name="DomainGainKept">Share of the reference's domain loss reduction this run achieves (1 = as much as the reference).</param>
/// <param name="GeneralLossAvoided">Share of the reference's general loss increase this run avoids (1 = none of it, 0 = all of it).</param>
public sealed record FrontierPlacement(FrontierRun Run, double DomainGainKept, double GeneralLossAvoided);

/// <summary>A method on the frontier: its runs and their mean position.</summary>
/// <param name="Label">The method.</param>
/// <param name="Runs">Its runs, placed.</param>
/// <param name="DominatedBy">Methods whose mean is at least as good on both axes and better on one; empty = on the Pareto set.</param>
public sealed record FrontierMethod(string Label, IReadOnlyList<FrontierPlacement> Runs, IReadOnlyList<string> DominatedBy)
{
    /// <summary>Mean share of the domain gain kept over the runs.</summary>
    public double DomainGainKept => Runs.Average(r => r.DomainGainKept);
    /// <summary>Mean share of the general loss avoided over the runs.</summary>
    public double GeneralLossAvoided => Runs.Average(r => r.GeneralLossAvoided);
    /// <summary>Lowest and highest domain gain kept over the runs (equal with one run).</summary>
    public (double Min, double Max) DomainGainKeptRange => (Runs.Min(r => r.DomainGainKept), Runs.Max(r => r.DomainGainKept));
    /// <summary>Lowest and highest general loss avoided over the runs.</summary>
    public (double Min, double Max) GeneralLossAvoidedRange => (Runs.Min(r => r.GeneralLossAvoided), Runs.Max(r => r.GeneralLossAvoided));
    /// <summary>True when no other method's mean dominates this one's.</summary>
    public bool OnParetoSet => DominatedBy.Count == 0;
    /// <summary>
    /// True when every dominating method is ahead by less than the run-to-run spread on each axis it
    /// leads on (the ranges overlap): the dominance is then not evidence that the method is worse.
    /// </summary>
    public bool DominanceWithinSpread { get; init; }
}

/// <summary>
/// The forgetting frontier of continued pretraining (issue 26): every method placed by how much of
/// a reference run's domain gain it keeps (x) against how much of the reference's general-text loss it
/// avoids (y), both measured as held-out masked-LM loss from a common start model:
/// <para>kept = (L_domain(start) − L_domain(run)) / (L_domain(start) − mean L_domain(reference runs))</para>
/// <para>avoided = 1 − (L_general(run) − L_general(start)) / (mean L_general(reference runs) − L_general(start))</para>
/// The reference (usually plain DAPT) sits near (1, 0) and the start at (0, 1); a method up and to the
/// right of another is better on both. The Pareto set is taken over the methods' mean positions,
/// and each method's spread over its independent pretraining runs is kept so a reader can tell a
/// real gap from run-to-run noise.
/// </summary>
public sealed class ForgettingFrontier
{
    /// <summary>The start model's domain loss.</summary>
    public double StartDomainLoss { get; }
    /// <summary>The start model's general loss.</summary>
    public double StartGeneralLoss { get; }
    /// <summary>The reference method's label.</summary>
    public string Reference { get; }
    /// <summary>Mean domain loss of the reference runs.</summary>
    public double ReferenceDomainLoss { get; }
    /// <summary>Mean general loss of the reference runs.</summary>
    public double ReferenceGeneralLoss { get; }
    /// <summary>Every method (the reference included), in the order first seen.</summary>
    public IReadOnlyList<FrontierMethod> Methods { get; }

    private ForgettingFrontier(double startDomain, double startGeneral, string reference, double referenceDomain, double referenceGeneral, IReadOnlyList<FrontierMethod> methods)
    {
        StartDomainLoss = startDomain;
        StartGeneralLoss = startGeneral;
        Reference = reference;
        ReferenceDomainLoss = referenceDomain;
        ReferenceGeneralLoss = referenceGeneral;
        Methods = methods;
    }

    /// <summary>Places <paramref name="runs"/> relative to the start model's losses and the runs labelled <paramref name="reference"/>.</summary>
    /// <exception cref="ConfigException">No reference run; a loss that is not finite; or the reference neither lowered the domain loss nor raised the general loss (the axes would be undefined).</exception>
    public static ForgettingFrontier Build(double startDomainLoss, double startGeneralLoss, string reference, IReadOnlyList<FrontierRun> runs)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(runs);
        if (!double.IsFinite(startDomainLoss) || !double.IsFinite(startGeneralLoss))
            throw new ConfigException($"the start model's losses must be finite (domain {startDomainLoss}, general {startGeneralLoss}).");
        foreach (var r in runs)
            if (!double.IsFinite(r.DomainLoss) || !double.IsFinite(r.GeneralLoss))
                throw new ConfigException($"{r.Model} ('{r.Label}'): its losses must be finite (domain {r.DomainLoss}, general {r.GeneralLoss}).");
        var referenceRuns = runs.Where(r => r.Label == reference).ToList();
        if (referenceRuns.Count == 0)
            throw new ConfigException($"no run is labelled '{reference}', the reference the axes are measured against (labels: {string.Join(", ", runs.Select(r => r.Label).Distinct())}).");
        var referenceDomain = referenceRuns.Average(r => r.DomainLoss);
        var referenceGeneral = referenceRuns.Average(r => r.GeneralLoss);
        var gain = startDomainLoss - referenceDomain;
        var forgetting = referenceGeneral - startGeneralLoss;
        if (gain <= 0)
            throw new ConfigException($"the reference '{reference}' did not lower the domain loss (start {startDomainLoss:F4}, reference {referenceDomain:F4}): there is no domain gain to keep.");
        if (forgetting <= 0)
            throw new ConfigException($"the reference '{reference}' did not raise the general loss (start {startGeneralLoss:F4}, reference {referenceGeneral:F4}): there is no forgetting to avoid; start from a model that is better on the general text.");

        var placed = runs.Select(r => new FrontierPlacement(r, (startDomainLoss - r.DomainLoss) / gain, 1 - (r.GeneralLoss - startGeneralLoss) / forgetting)).ToList();
        var groups = placed.GroupBy(p => p.Run.Label).Select(g => (Label: g.Key, Runs: (IReadOnlyList<FrontierPlacement>)g.ToList())).ToList();
        var means = groups.ToDictionary(g => g.Label, g => (X: g.Runs.Average(r => r.DomainGainKept), Y: g.Runs.Average(r => r.GeneralLossAvoided)));
        var methods = new List<FrontierMethod>();
        foreach (var g in groups)
        {
            var (x, y) = means[g.Label];
            var dominators = groups.Where(o => o.Label != g.Label && Dominates(means[o.Label], (x, y))).ToList();
            var method = new FrontierMethod(g.Label, g.Runs, dominators.Select(d => d.Label).ToList());
            methods.Add(method with { DominanceWithinSpread = dominators.Count > 0 && dominators.All(d => Overlaps(new FrontierMethod(d.Label, d.Runs, Array.Empty<string>()), method)) });
        }
        return new ForgettingFrontier(startDomainLoss, startGeneralLoss, reference, referenceDomain, referenceGeneral, methods);
    }

    private static bool Dominates((double X, double Y) a, (double X, double Y) b) =>
        a.X >= b.X && a.Y >= b.Y && (a.X > b.X || a.Y > b.Y);

    // The dominating method leads on an axis by less than the spread when their run ranges overlap on it.
    private static bool Overlaps(FrontierMethod better, FrontierMethod worse)
    {
        var (bx0, bx1) = better.DomainGainKeptRange;
        var (wx0, wx1) = worse.DomainGainKeptRange;
        var (by0, by1) = better.GeneralLossAvoidedRange;
        var (wy0, wy1) = worse.GeneralLossAvoidedRange;
        var xOverlap = bx0 <= wx1 && wx0 <= bx1;
        var yOverlap = by0 <= wy1 && wy0 <= by1;
        return xOverlap && yOverlap;
    }
}
