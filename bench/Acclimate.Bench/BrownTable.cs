using System.Globalization;
using System.Text.Json.Nodes;

namespace Acclimate.Bench;

/// <summary>
/// <c>brown-table RUN…</c>: one markdown row per pretraining run folder, from its forgetting.json
/// (held-out MLM perplexity before/after on the domain and general sets) and metrics.jsonl; the
/// first run whose name contains "dapt" and no "-" suffix is the plain-DAPT reference for the
/// "general rise vs DAPT" column.
/// </summary>
public static class BrownTable
{
    public static int Run(string[] args)
    {
        var rows = args.Select(Read).ToList();
        var plain = rows.FirstOrDefault(r => Path.GetFileName(r.Folder) == "dapt");
        Console.WriteLine("| run | updates | train s | domain ppl before → after | general ppl before → after | general ppl rise | rise vs plain DAPT |");
        Console.WriteLine("|---|---:|---:|---|---|---:|---:|");
        foreach (var r in rows)
        {
            var rise = r.GeneralAfter - r.GeneralBefore;
            var versus = plain is null || ReferenceEquals(r, plain) || !Path.GetFileName(r.Folder).StartsWith("dapt", StringComparison.Ordinal)
                ? "" : $"{(rise / (plain.GeneralAfter - plain.GeneralBefore) - 1):+0%;-0%}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Path.GetFileName(r.Folder)} | {r.Steps} | {r.Seconds:F0} | {r.DomainBefore:F1} → {r.DomainAfter:F1} ({r.DomainAfter / r.DomainBefore - 1:+0.0%;-0.0%}) | " +
                $"{r.GeneralBefore:F1} → {r.GeneralAfter:F1} ({r.GeneralAfter / r.GeneralBefore - 1:+0.0%;-0.0%}) | {rise:+0.0;-0.0} | {versus} |"));
        }
        return 0;
    }

    private sealed record Row(string Folder, long Steps, double Seconds, double DomainBefore, double DomainAfter, double GeneralBefore, double GeneralAfter);

    private static Row Read(string folder)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "forgetting.json")))!;
        var d = json["held_out"]!["domain"]!;
        var g = json["held_out"]!["general"]!;
        return new Row(folder.TrimEnd('/'), json["steps"]!.GetValue<long>(), json["training_seconds"]!.GetValue<double>(),
            d["before_perplexity"]!.GetValue<double>(), d["after_perplexity"]!.GetValue<double>(),
            g["before_perplexity"]!.GetValue<double>(), g["after_perplexity"]!.GetValue<double>());
    }
}
