using System.Globalization;
using Acclimate.IO;
using Acclimate.Reporting;

namespace Acclimate.Pretraining;

/// <summary>
/// Writes a <see cref="ForgettingFrontier"/> as <c>frontier.md</c> (the table a reader chooses from),
/// <c>frontier.tsv</c> (one row per run, every number) and <c>frontier.png</c> (every method a point
/// with its spread over pretraining runs, the Pareto set joined).
/// </summary>
public static class ForgettingFrontierReport
{
    /// <summary>File names written into the folder.</summary>
    public const string MarkdownFile = "frontier.md", TableFile = "frontier.tsv", PlotFile = "frontier.png";

    /// <summary>Writes the three files into <paramref name="folder"/> (each atomically).</summary>
    /// <param name="folder">Output folder (created).</param>
    /// <param name="frontier">The placed methods.</param>
    /// <param name="domainSet">How the domain held-out set is described in the prose (e.g. its path).</param>
    /// <param name="generalSet">How the general held-out set is described.</param>
    public static void Write(string folder, ForgettingFrontier frontier, string domainSet, string generalSet)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, TableFile), Tsv(frontier));
        AtomicFile.WriteAllText(Path.Combine(folder, MarkdownFile), Markdown(frontier, domainSet, generalSet));
        var points = frontier.Methods.Select(m => new RangedPoint(m.Label, m.DomainGainKept, m.GeneralLossAvoided,
            m.Runs.Select(r => (r.DomainGainKept, r.GeneralLossAvoided)).ToList(), m.OnParetoSet)).ToList();
        points.Insert(0, new RangedPoint("start", 0, 1, new[] { (0.0, 1.0) }, false));
        Plots.RangedPoints(Path.Combine(folder, PlotFile), $"Forgetting frontier (reference: {frontier.Reference})",
            "domain gain kept (share of the reference's)", "general loss avoided (share of the reference's)", points,
            referenceX: new[] { 0.0, 1.0 }, referenceY: new[] { 0.0, 1.0 });
    }

    /// <summary>One row per run: label, model, both losses and perplexities, and both shares.</summary>
    public static string Tsv(ForgettingFrontier frontier)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        var w = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        w.WriteLine("label\tmodel\tdomain_loss\tgeneral_loss\tdomain_perplexity\tgeneral_perplexity\tdomain_gain_kept\tgeneral_loss_avoided");
        w.WriteLine(FormattableString.Invariant($"start\t\t{frontier.StartDomainLoss:R}\t{frontier.StartGeneralLoss:R}\t{Math.Exp(frontier.StartDomainLoss):F3}\t{Math.Exp(frontier.StartGeneralLoss):F3}\t0\t1"));
        foreach (var m in frontier.Methods)
            foreach (var r in m.Runs)
                w.WriteLine(FormattableString.Invariant(
                    $"{r.Run.Label}\t{r.Run.Model}\t{r.Run.DomainLoss:R}\t{r.Run.GeneralLoss:R}\t{Math.Exp(r.Run.DomainLoss):F3}\t{Math.Exp(r.Run.GeneralLoss):F3}\t{r.DomainGainKept:R}\t{r.GeneralLossAvoided:R}"));
        return w.ToString();
    }

    /// <summary>The Markdown table with its definitions and a note per method.</summary>
    public static string Markdown(ForgettingFrontier frontier, string domainSet, string generalSet)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        var w = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        w.WriteLine("# Forgetting frontier");
        w.WriteLine();
        w.WriteLine($"Held-out masked-token loss with the same masks for every model: domain = {domainSet}, general = {generalSet}. " +
            $"Start: domain perplexity {Math.Exp(frontier.StartDomainLoss):F1}, general {Math.Exp(frontier.StartGeneralLoss):F1}; " +
            $"reference `{frontier.Reference}` (mean of its runs): domain {Math.Exp(frontier.ReferenceDomainLoss):F1}, general {Math.Exp(frontier.ReferenceGeneralLoss):F1}.");
        w.WriteLine();
        w.WriteLine("**Domain gain kept** = (L_domain(start) − L_domain(model)) / (L_domain(start) − L_domain(reference)); " +
            "**general loss avoided** = 1 − (L_general(model) − L_general(start)) / (L_general(reference) − L_general(start)). " +
            "The reference sits near (1, 0), the start at (0, 1); up and to the right is better on both. " +
            "Ranges are lowest–highest over a method's independent pretraining runs; the Pareto set is taken over the means.");
        w.WriteLine();
        w.WriteLine("| method | runs | domain perplexity | general perplexity | domain gain kept (range) | general loss avoided (range) | Pareto | note |");
        w.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var m in frontier.Methods.OrderByDescending(m => m.OnParetoSet).ThenByDescending(m => m.DomainGainKept))
        {
            var (x0, x1) = m.DomainGainKeptRange;
            var (y0, y1) = m.GeneralLossAvoidedRange;
            var domainPpl = Math.Exp(m.Runs.Average(r => r.Run.DomainLoss));
            var generalPpl = Math.Exp(m.Runs.Average(r => r.Run.GeneralLoss));
            var note = new List<string>();
            if (m.Runs.Count < 2) note.Add("one pretraining run: its spread is unknown");
            if (!m.OnParetoSet)
                note.Add($"dominated by {string.Join(", ", m.DominatedBy)}" + (m.DominanceWithinSpread ? ", but within the run-to-run spread" : ""));
            w.WriteLine(FormattableString.Invariant(
                $"| {m.Label} | {m.Runs.Count} | {domainPpl:F1} | {generalPpl:F1} | {m.DomainGainKept:P0} ({x0:P0} to {x1:P0}) | {m.GeneralLossAvoided:P0} ({y0:P0} to {y1:P0}) | {(m.OnParetoSet ? "yes" : "")} | {string.Join("; ", note)} |"));
        }
        return w.ToString();
    }
}
